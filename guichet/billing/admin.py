from django.contrib import admin

from guichet.tickets.admin import ReadOnly

from .models import BillingProfile, Claim, Credit, Invoice, InvoiceLine


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = ("organisation", "vat_rate", "vat_number", "invoice_email", "payment_days")
    search_fields = ("organisation__name", "vat_number")


@admin.register(Claim)
class ClaimAdmin(ReadOnly):
    """Decided in the console (/console/claims/)."""

    list_display = (
        "filed_at",
        "organisation",
        "subscription",
        "year",
        "month",
        "kind",
        "status",
        "proposed_amount",
    )
    list_filter = ("status", "kind")
    list_select_related = ("organisation", "subscription__service")


@admin.register(Credit)
class CreditAdmin(ReadOnly):
    list_display = (
        "created_at",
        "organisation",
        "subscription",
        "year",
        "month",
        "amount",
        "applied",
        "currency",
    )
    list_select_related = ("organisation", "subscription__service")


class LineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ("position", "description", "amount", "credit")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    """Issued invoices are never edited: corrections are credit notes (API)."""

    list_display = ("number", "kind", "organisation", "year", "month", "total", "currency", "issue_date")
    list_filter = ("kind", "year", "month")
    search_fields = ("number", "organisation__name")
    list_select_related = ("organisation",)
    inlines = [LineInline]
