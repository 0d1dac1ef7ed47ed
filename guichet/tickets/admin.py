"""Tickets in the Django admin: read-only. Every change to a ticket goes through its services (the API,
later the console), which keep the clocks right and write the audit trail."""

from django.contrib import admin

from .models import Notification, SlaClock, Ticket, TicketMessage


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClockInline(admin.TabularInline):
    model = SlaClock
    fields = ("clock", "state", "target_seconds", "used_seconds", "due_at", "breached_at", "calendar")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnly):
    list_display = ("reference", "subject", "organisation", "category", "priority", "status", "next_due_at")
    list_filter = ("status", "priority", "category", "channel")
    list_select_related = ("organisation",)
    search_fields = ("reference", "subject")
    inlines = [ClockInline]


@admin.register(TicketMessage)
class TicketMessageAdmin(ReadOnly):
    list_display = ("ticket", "kind", "author", "created_at")
    list_select_related = ("ticket", "author")


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ("created_at", "recipient", "kind", "ticket", "emailed_at")
    list_select_related = ("recipient", "ticket")
