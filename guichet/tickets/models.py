"""Tickets, their messages and attachments, and the SLA clocks that run on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.plans.models import Channel, Clock, Priority

PRIORITY_ORDER = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT]


class Category(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Request")
    BILLING = "billing", _("Billing")
    SALES = "sales", _("Sales")
    TECHNICAL_SERVICE = "technical_service", _("Technical service request (quoted)")
    COMPLAINT = "complaint", _("Complaint")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING_CUSTOMER = "pending_customer", pgettext_lazy("ticket status", "Pending customer")
    ON_HOLD = "on_hold", pgettext_lazy("ticket status", "On hold")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.ON_HOLD]


class TicketCounter(models.Model):
    """The last reference number given in a year (GT-2026-000123): one row per year, locked to allocate."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="tickets"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    subscription = models.ForeignKey(
        "contracts.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        help_text="The service the ticket is about: its plan sets the clocks.",
    )
    plan = models.ForeignKey(
        "plans.SlaPlan",
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text="The plan the clocks run on.",
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.REQUEST)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    subject = models.CharField(max_length=200)
    team = models.ForeignKey(
        "customers.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="watched_tickets", blank=True)
    opened_at = models.DateTimeField(help_text="When the customer reported it (past for imported tickets).")
    first_response_at = models.DateTimeField(null=True, blank=True)
    intervention_started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    customer_flagged_urgent = models.BooleanField(default=False)
    over_quota = models.BooleanField(default=False)
    outside_sla = models.BooleanField(
        default=False, help_text="Technical service requests: quoted, no clocks."
    )
    next_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The earliest due instant of the running clocks (queue order)."
    )
    breached = models.BooleanField(
        default=False,
        help_text="At least one of its clocks is breached (kept with next_due_at: sla.refresh_next_due).",
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped by every change (optimistic locking).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: the first message, on the ticket ``services.ticket_create`` returns, so that a channel
    # links its own row (an inbound mail, a call) to it without reading it back.
    opening_message: TicketMessage | None = None

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_due_at"], name="ticket_queue"),
            models.Index(fields=["team", "status", "next_due_at"], name="ticket_team_queue"),
            models.Index(fields=["assignee", "status", "next_due_at"], name="ticket_assignee_queue"),
            # Each queue scope (everything, a team, an assignee, an organisation) with the status leading:
            # a page reads each status's range already in due order (selectors.queue_page).
            models.Index(fields=["organisation", "status", "next_due_at"], name="ticket_org_queue"),
            # The queue filtered by priority (the console's "Urgent" view): its count is a count of index
            # entries and its page a range in due order (233 ms on SQLite at 1M tickets reading every open
            # ticket's row, before).
            models.Index(fields=["priority", "status", "next_due_at"], name="ticket_priority_queue"),
            # The agents' load on the dashboard: open tickets per assignee, breached or not, due within the
            # hour or not, counted from this index alone, in its order (no look-up of 100,000 open tickets'
            # rows or clocks at 1M tickets); and the queue's breached tickets. The flag leads: led by the
            # status, SQLite preferred it to ticket_queue for the queue's pages, which it would then sort.
            models.Index(fields=["breached", "status", "assignee", "next_due_at"], name="ticket_open_load"),
            # The monthly quota's count (recent tickets of an organisation, whatever their status).
            models.Index(
                fields=["organisation", "opened_at"],
                condition=Q(merged_into__isnull=True),
                name="ticket_org_opened",
            ),
            # PostgreSQL (15) cannot read the ranges of an IN list in order as SQLite does with the indexes
            # above: it fetches every open ticket of the scope and sorts them (23 ms for a supervisor at 1M
            # tickets). These partial indexes give it the open tickets already in due order (0.06 ms), and the
            # recent open ones of an organisation for the possible duplicates whatever its statistics say.
            # SQLite cannot prove that a query with bound values implies their condition and ignores them.
            models.Index(
                fields=["next_due_at", "id"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_due"
            ),
            models.Index(
                fields=["organisation", "opened_at"],
                condition=Q(merged_into__isnull=True, status__in=OPEN_STATUSES),
                name="ticket_org_open",
            ),
            # The supervisors' dashboard counts the tickets opened, and those resolved, in a period
            # (tickets/reports.py): a range of each index instead of a scan of every ticket.
            models.Index(fields=["opened_at"], name="ticket_opened"),
            models.Index(fields=["resolved_at"], name="ticket_resolved"),
            # Its open tickets of a period by age, counted from this index alone; and an organisation's
            # tickets opened, or resolved, in a period (its agents' load is counted live: tickets/stats.py).
            # With the assignee and the flag: on PostgreSQL, the open tickets as of now — by agent, by age
            # — are one pass over this index alone (reports.open_now).
            models.Index(fields=["status", "opened_at", "assignee", "breached"], name="ticket_status_opened"),
            # The dashboard filtered by team, from this index alone: the team's open tickets of a period by
            # age (ranges of it), and its agents' load (its open entries, 17,000 of a team of six at 1M
            # tickets, instead of as many rows looked up: 170 ms on SQLite). Without next_due_at: with it,
            # SQLite took it for the team's queue pages (covering), which it would then sort.
            models.Index(
                fields=["team", "status", "opened_at", "assignee", "breached"], name="ticket_team_opened"
            ),
            models.Index(fields=["organisation", "opened_at"], name="ticket_org_period"),
            models.Index(fields=["organisation", "resolved_at"], name="ticket_org_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.PUBLIC)
    body = models.TextField()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    created_at = models.DateTimeField()
    external_id = models.CharField(max_length=255, blank=True, help_text="e.g. the Message-ID of a mail.")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.filename


class ClockState(models.TextChoices):
    RUNNING = "running", pgettext_lazy("clock state", "Running")
    PAUSED = "paused", pgettext_lazy("clock state", "Paused")
    MET = "met", pgettext_lazy("clock state", "Met")
    BREACHED = "breached", pgettext_lazy("clock state", "Breached")
    # Ended by the ticket's merge into another before its outcome was decided: neither met nor breached, left
    # out of the compliance figures (the work goes on in the surviving ticket).
    MERGED = "merged", _("Ended by a merge")


class SlaClock(models.Model):
    """One clock of one ticket. ``segments`` are the intervals it ran (ISO instants; the last open while it
    runs); the other columns are what guichet.businesstime.clocks.evaluate made of them at the last change,
    indexed so that escalation sweeps and queues are index range scans."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    clock = models.CharField(max_length=20, choices=Clock.choices)
    ticket_opened_at = models.DateTimeField(
        help_text="Its ticket's opening, which never changes: the clocks of a kind and outcome of the "
        "tickets opened in a period (the dashboard's drill-down) are a range of one index."
    )
    calendar = models.ForeignKey("plans.Calendar", on_delete=models.PROTECT, related_name="+")
    target_seconds = models.PositiveIntegerField()
    segments = models.JSONField(default=list)
    stopped = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=ClockState.choices)
    used_seconds = models.PositiveIntegerField(
        default=0, help_text="As of the last change (see evaluated_at)."
    )
    evaluated_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    raise_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="First response only: when the plan raises the priority if unanswered.",
    )
    warned_at = models.DateTimeField(null=True, blank=True, help_text="When the 75 % warning went out.")
    breach_notified_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField(null=True, blank=True, help_text="When the priority was raised.")

    class Meta:
        ordering = ["ticket", "clock"]
        constraints = [models.UniqueConstraint(fields=["ticket", "clock"], name="one_clock_of_a_kind")]
        indexes = [
            # What each escalation step still has to do, and only that: a clock leaves the index once it
            # is warned, notified, raised or stopped, so a sweep reads the rows actually due and no more.
            # The conditions take no parameter: SQLite uses a partial index only when the query's WHERE
            # implies the index's without looking at bound values.
            models.Index(
                fields=["warn_at"], condition=Q(stopped=False, warned_at__isnull=True), name="clock_to_warn"
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(stopped=False, breach_notified_at__isnull=True),
                name="clock_to_breach",
            ),
            models.Index(
                fields=["raise_at"], condition=Q(stopped=False, raised_at__isnull=True), name="clock_to_raise"
            ),
            # Whether a ticket has a breached clock (the dashboard's breached open tickets per agent, the
            # queue's "breached" filter) from this index alone: one probe per ticket, no row read.
            models.Index(fields=["ticket", "state"], name="clock_ticket_state"),
            # The tickets with a breached clock of one kind (the dashboard's drill-down: "last month's
            # tickets whose first response was late"): those clocks from this index alone, joined to the
            # period's tickets. Without it PostgreSQL read all the clocks (290 ms at 1M tickets; 49 ms with
            # it). Partial, on the breached clocks only: a whole (clock, state) index drew SQLite's
            # escalation sweep away from its partial indexes above (it filters by clock too).
            # The dashboard's drill-down ("tickets opened last month whose first response was late"): a
            # range of this index gives their ids, instead of a probe of the clocks of every ticket opened
            # in the period (41,000 a month at 1M tickets: 100 ms on SQLite).
            models.Index(
                fields=["clock", "state", "ticket_opened_at", "ticket"], name="clock_outcome_opened"
            ),
            models.Index(
                fields=["clock", "ticket"], condition=Q(state=ClockState.BREACHED), name="clock_breached"
            ),
            # The breach notices of a recent period (the metrics' "breaches in the last 24 hours").
            models.Index(
                fields=["breach_notified_at"],
                condition=Q(breach_notified_at__isnull=False),
                name="clock_breach_notified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock} {self.state}"


class QuoteStatus(models.TextChoices):
    SENT = "sent", pgettext_lazy("quote status", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
    REFUSED = "refused", pgettext_lazy("quote status", "Refused")


class Quote(models.Model):
    """The price of a technical service request, sent to the customer, who accepts or refuses it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="quotes")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.SENT)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="quote_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.amount} {self.currency} {self.status}"


class Notification(models.Model):
    """A message to a member of staff about a ticket (SLA warning, breach, escalation, a new urgent incident,
    a claim filed about it), shown in the console and mailed by a background task."""

    class Kind(models.TextChoices):
        SLA_WARNING = "sla_warning", _("SLA warning (75 % used)")
        SLA_BREACH = "sla_breach", _("SLA breached")
        PRIORITY_RAISED = "priority_raised", _("Priority raised")
        URGENT_INCIDENT = "urgent_incident", _("New urgent incident")
        CLAIM_FILED = "claim_filed", _("SLA claim filed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    clock = models.CharField(max_length=20, choices=Clock.choices, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.ticket_id} -> {self.recipient_id}"


class TicketDayStat(models.Model):
    """The dashboard's rollup (tickets/stats.py): by provider-local day, plan, priority, team and
    organisation of the tickets, how many were opened that day and how many of their clocks ended met or
    breached, and how many tickets were resolved that day. Any period of whole days, with any of these
    filters, is then a sum over a few thousand rows instead of a count over every ticket and clock. Written
    by the hourly ``sla-stats`` job up to the instant it runs (that day's row is partial); what happened
    since is counted live."""

    day = models.DateField()
    plan = models.ForeignKey("plans.SlaPlan", on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    team = models.ForeignKey("customers.Team", on_delete=models.CASCADE, null=True, related_name="+")
    organisation = models.ForeignKey("customers.Organisation", on_delete=models.CASCADE, related_name="+")
    opened = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0, help_text="Tickets resolved that day (not opened).")
    first_response_met = models.PositiveIntegerField(default=0)
    first_response_breached = models.PositiveIntegerField(default=0)
    intervention_met = models.PositiveIntegerField(default=0)
    intervention_breached = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "plan", "priority", "team", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "plan", "priority", "team", "organisation"], name="one_day_stat_per_cell"
            )
        ]
        indexes = [
            # A team's or an organisation's days: a range of their own (the unique index serves the others).
            models.Index(fields=["team", "day"], name="day_stat_team"),
            models.Index(fields=["organisation", "day"], name="day_stat_organisation"),
            # The sums over every team and organisation (the dashboard unfiltered, or by plan) read from this
            # index alone, in day order: 12,000 rows of 30 days looked up one by one took 16-20 ms on SQLite.
            models.Index(
                fields=[
                    *("day", "plan", "priority", "opened", "resolved"),
                    *("first_response_met", "first_response_breached", "intervention_met"),
                    *("intervention_breached", "resolution_met", "resolution_breached"),
                ],
                name="day_stat_sums",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.plan_id} {self.priority} {self.team_id} {self.organisation_id}"


class AgentDayStat(models.Model):
    """The agents' load rollup: by provider-local day, assignee, team and plan, the tickets resolved that day
    and the first responses, met or breached, of the tickets opened that day (tickets/stats.py)."""

    day = models.DateField()
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("customers.Team", on_delete=models.CASCADE, null=True, related_name="+")
    plan = models.ForeignKey("plans.SlaPlan", on_delete=models.CASCADE, related_name="+")
    resolved = models.PositiveIntegerField(default=0)
    first_response_met = models.PositiveIntegerField(default=0)
    first_response_breached = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "assignee", "team", "plan"]
        constraints = [
            models.UniqueConstraint(fields=["day", "assignee", "team", "plan"], name="one_agent_day_stat")
        ]
        indexes = [models.Index(fields=["team", "day"], name="agent_day_stat_team")]

    def __str__(self) -> str:
        return f"{self.day} {self.assignee_id} {self.team_id} {self.plan_id}"
