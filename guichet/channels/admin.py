"""Mail in the Django admin: mailboxes are configured here; inbound mail and dead letters are read here,
and dead letters replayed (the only change made to them)."""

from django.contrib import admin, messages

from guichet.tickets.admin import ReadOnly

from .mail.services import replay
from .models import (
    ChatConversation,
    ChatMessage,
    DeadLetter,
    InboundMail,
    Mailbox,
    OnCallRota,
    OnCallShift,
    Page,
)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "address",
        "kind",
        "unknown_senders",
        "new_tickets_per_hour",
        "is_active",
        "last_polled_at",
        "last_poll_error",
    )
    readonly_fields = ("last_polled_at", "last_poll_error")
    fieldsets = (
        (None, {"fields": ("name", "address", "kind", "is_active")}),
        ("Senders", {"fields": ("unknown_senders", "new_tickets_per_hour")}),
        (
            "IMAP (polled mailboxes only)",
            {
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_ssl",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                    "last_polled_at",
                    "last_poll_error",
                )
            },
        ),
    )


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnly):
    list_display = ("received_at", "sender", "subject", "outcome", "ticket", "reason")
    list_filter = ("outcome", "mailbox")
    list_select_related = ("ticket",)
    search_fields = ("sender", "subject", "message_id")
    date_hierarchy = "received_at"


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnly):
    list_display = ("received_at", "reason", "replayed_at", "replay_result")
    actions = ["replay_letters"]

    @admin.action(description="Replay the selected dead letters")
    def replay_letters(self, request, queryset):
        for letter in queryset:
            replay(letter)
        self.message_user(
            request, f"Replayed {queryset.count()} letter(s): see each one's result.", messages.INFO
        )

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # the replay action needs it; the form itself shows nothing editable

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ShiftInline(admin.TabularInline):
    model = OnCallShift
    fields = ("user", "starts_at", "ends_at", "position", "phone")
    extra = 1


@admin.register(OnCallRota)
class OnCallRotaAdmin(admin.ModelAdmin):
    list_display = ("team", "acknowledge_minutes", "webhook_url")
    inlines = [ShiftInline]


@admin.register(Page)
class PageAdmin(ReadOnly):
    list_display = ("created_at", "ticket", "reason", "paged", "step", "acknowledged_at", "false_alarm")
    list_filter = ("false_alarm",)
    list_select_related = ("ticket", "paged")


class ChatLines(admin.TabularInline):
    model = ChatMessage
    fields = ("sent_at", "author", "body", "ticket_message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatConversation)
class ChatConversationAdmin(ReadOnly):
    """Chat transcripts, kept whatever became of the chat (answered from the console, not here)."""

    list_display = ("started_at", "contact", "organisation", "status", "agent", "ticket", "end_reason")
    list_filter = ("status",)
    list_select_related = ("contact", "organisation", "agent", "ticket")
    inlines = [ChatLines]
