"""Mail in and out: mailboxes, every inbound mail once (by Message-ID), the dead letters, and the Message-IDs
that thread mail to tickets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Mailbox(models.Model):
    """An address customers write to. Mail reaches Guichet by IMAP polling (imap-tools) or by delivery to
    the SMTP/LMTP receiver (``guichet mailserver``), which files it under the mailbox of its recipient."""

    class Kind(models.TextChoices):
        SMTP = "smtp", _("Delivered to Guichet's SMTP/LMTP receiver")
        IMAP = "imap", _("Polled over IMAP")

    class UnknownSenders(models.TextChoices):
        TRIAGE = "triage", _("Keep for triage by an agent")
        REFUSE = "refuse", _("Refuse with a polite reply")

    name = models.CharField(max_length=100, unique=True)
    address = models.EmailField(unique=True, help_text="Lower case; mail to it is filed here.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SMTP)
    unknown_senders = models.CharField(
        max_length=10, choices=UnknownSenders.choices, default=UnknownSenders.TRIAGE
    )
    new_tickets_per_hour = models.PositiveIntegerField(
        default=20, help_text="New tickets one sender may open per hour by mail; more are held for an agent."
    )
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_ssl = models.BooleanField(default=True)
    imap_user = models.CharField(max_length=255, blank=True)
    imap_password = models.CharField(max_length=255, blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    is_active = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_poll_error = models.TextField(
        blank=True, editable=False, help_text="Why the last IMAP poll stopped; empty when it went through."
    )

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class InboundMail(models.Model):
    """One inbound mail, stored once whatever the number of deliveries (unique Message-ID), with what became
    of it. The raw bytes are kept as a file: the full original, whatever was shown."""

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Opened a ticket")
        APPENDED = "appended", _("Added to a ticket")
        HELD = "held", _("Held for an agent")
        TRIAGE = "triage", _("Unknown sender: in triage")
        REFUSED = "refused", _("Unknown sender: refused")
        AUTOMATIC = "automatic", _("Automatic mail: ignored")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message_id = models.CharField(max_length=998, unique=True)
    received_at = models.DateTimeField()
    sender = models.EmailField(max_length=320)
    subject = models.CharField(max_length=998, blank=True)
    raw = models.FileField(upload_to="mail/%Y/%m/")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_mails"
    )
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(
        null=True, blank=True, help_text="Held or triaged mail: when an agent dealt with it."
    )
    handled_by = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dropped_reason = models.TextField(blank=True, help_text="Held or triaged mail dropped: why.")

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["outcome", "received_at"]),
            models.Index(fields=["sender", "outcome", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject[:60]} ({self.outcome})"


class DeadLetter(models.Model):
    """A mail that could not be read or stored: kept with the reason, replayable from the admin."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField()
    raw = models.FileField(upload_to="mail/dead/%Y/%m/")
    reason = models.TextField()
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_result = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.reason[:80]}"


class MailThread(models.Model):
    """A Message-ID known to belong to a ticket — of a mail Guichet sent about it or received into it — so
    that a reply's In-Reply-To or References finds its ticket."""

    message_id = models.CharField(max_length=998, unique=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="mail_ids")
    outbound = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.message_id} -> {self.ticket_id}"


class WhatsAppMessage(models.Model):
    """A WhatsApp message, in or out, stored once by its WhatsApp id (Meta retries a webhook until it gets a
    200; a reply sent twice would reach the customer twice)."""

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Opened a ticket")
        APPENDED = "appended", _("Added to a ticket")
        HELD = "held", _("Held for an agent")
        SENT = "sent", _("Sent to the customer")

    wamid = models.CharField(max_length=255, unique=True)
    inbound = models.BooleanField()
    phone = models.CharField(max_length=40, help_text="The customer's number, digits only.")
    body = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="whatsapp_messages"
    )
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{'from' if self.inbound else 'to'} +{self.phone}: {self.body[:60]}"


class PhoneCall(models.Model):
    """A call an agent took or made, logged as a message of a ticket (new or existing)."""

    agent = models.ForeignKey("customers.User", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, help_text="The caller's number, digits only.")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField()
    summary = models.TextField()
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="calls")
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"+{self.number} {self.started_at:%Y-%m-%d %H:%M} ({self.duration_seconds} s)"


class OnCallRota(models.Model):
    """Who answers a team's emergencies, and how fast they must acknowledge before the next is paged."""

    team = models.OneToOneField("customers.Team", on_delete=models.CASCADE, related_name="rota")
    acknowledge_minutes = models.PositiveIntegerField(
        default=15, help_text="Minutes a paged engineer has to acknowledge before the next one is paged."
    )
    webhook_url = models.URLField(
        blank=True, help_text='SMS gateway: Guichet POSTs {"to": "<phone>", "text": "<message>"} as JSON.'
    )

    def __str__(self) -> str:
        return f"On call: {self.team}"


class OnCallShift(models.Model):
    """One person on call for a rota from ``starts_at`` to ``ends_at``; ``position`` 1 is paged first."""

    rota = models.ForeignKey(OnCallRota, on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey("customers.User", on_delete=models.CASCADE, related_name="on_call_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    position = models.PositiveSmallIntegerField(default=1)
    phone = models.CharField(max_length=40, blank=True, help_text="The number to text during this shift.")

    class Meta:
        ordering = ["rota", "starts_at", "position"]
        indexes = [models.Index(fields=["rota", "ends_at", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M} (#{self.position})"


class Page(models.Model):
    """An emergency paged to the on-call engineers, one after the other until one acknowledges."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="pages")
    rota = models.ForeignKey(OnCallRota, on_delete=models.PROTECT, related_name="pages")
    reason = models.TextField()
    created_at = models.DateTimeField()
    step = models.PositiveSmallIntegerField(default=0, help_text="How many people have been paged.")
    paged = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_page_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next person is paged if nobody acknowledges."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    false_alarm = models.BooleanField(default=False, help_text="Declared an emergency, was not one.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_page_at"], name="page_due", condition=models.Q(acknowledged_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"Page for {self.ticket_id}: {self.reason}"


class PageAttempt(models.Model):
    """One person paged for a Page: by mail, and by the SMS gateway when the rota has one."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey("customers.User", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField()
    mailed_at = models.DateTimeField(null=True, blank=True)
    texted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "user"], name="one_attempt_per_person")]

    def __str__(self) -> str:
        return f"{self.user} paged at {self.at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """A reminder mailed to the customer of a ticket waiting for them, once per silence: keyed by the last
    public message it follows."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="reminders")
    after_message = models.ForeignKey("tickets.TicketMessage", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "after_message"], name="one_reminder_per_silence")
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.ticket_id} at {self.sent_at:%Y-%m-%d %H:%M}"


class ChatConversation(models.Model):
    """A web chat between a customer contact (the extranet's chat panel) and the provider's agents (the
    console). It becomes one ticket — never two — when an agent converts it or when it outlives a short
    exchange; from then on each line is also a message of that ticket. Its transcript is kept either way."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("chat", "Open")
        CLOSED = "closed", pgettext_lazy("chat", "Ended")

    organisation = models.ForeignKey("customers.Organisation", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("customers.User", on_delete=models.PROTECT, related_name="chats")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    message_count = models.PositiveIntegerField(default=0)
    waiting_for_staff = models.BooleanField(
        default=True, help_text="The last message is the customer's: an agent should answer."
    )
    agent = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="chat"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_by = models.ForeignKey(
        "customers.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The agent who made it a ticket; empty when it became one automatically.",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "started_at"], name="chat_status_started"),
            models.Index(fields=["contact", "started_at"], name="chat_contact_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=models.Q(status="open"), name="one_open_chat_per_contact"
            )
        ]

    def __str__(self) -> str:
        return f"Chat {self.pk} ({self.get_status_display()})"


class ChatMessage(models.Model):
    """One line of a chat's transcript. Once the chat is a ticket, each line also lives in the ticket."""

    conversation = models.ForeignKey(ChatConversation, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey("customers.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    sent_at = models.DateTimeField()
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_id} at {self.sent_at:%H:%M}: {self.body[:60]}"
