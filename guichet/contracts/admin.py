from django.contrib import admin

from .models import FeeChange, Milestone, Service, Subscription, Suspension, TerminationRequest


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "default_plan", "is_active")
    prepopulated_fields = {"code": ("name",)}


class ReadOnlyInline(admin.TabularInline):
    """A subscription's history, shown and never edited here (the services record it)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ("kind", "at", "check_passed", "note", "recorded_by")
    readonly_fields = fields


class FeeInline(ReadOnlyInline):
    model = FeeChange
    fields = ("effective_on", "monthly_fee", "changed_by", "changed_at")
    readonly_fields = fields


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Read here; changed through the services (API), which trace every change."""

    list_display = (
        "organisation",
        "service",
        "identifier",
        "status",
        "monthly_fee",
        "currency",
        "plan",
        "end_date",
    )
    list_filter = ("status", "service", "plan")
    search_fields = ("identifier", "organisation__name")
    list_select_related = ("organisation", "service", "plan")
    inlines = [MilestoneInline, FeeInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Suspension, TerminationRequest)
class ContractEventAdmin(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
