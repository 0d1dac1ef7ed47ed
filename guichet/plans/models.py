"""SLA plans and the calendars their clocks run on, as data.

A plan carries the promises of a contract tier: the availability guarantee, the support and fault-handling
calendars, the maximum first-response / intervention / resolution times per priority, the downtime credit
rate and its monthly cap, the channels and the phone-queue priority. The arithmetic lives in
``guichet.businesstime`` (calendars) and, later, ``guichet.money`` (credits); the models only hold the terms.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from guichet.businesstime import BusinessCalendar, parse_week
from guichet.customers.validators import validate_time_zone


class Calendar(models.Model):
    """Weekly opening hours in a time zone, closed on a country's public holidays and on extra dates."""

    name = models.CharField(max_length=100, unique=True)
    hours = models.CharField(
        max_length=500,
        help_text="Weekly opening hours, e.g. 'Mon-Fri 08:00-18:00' or "
        "'Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00' (French day names work too: 'Lun-Ven').",
    )
    time_zone = models.CharField(
        max_length=64, validators=[validate_time_zone], help_text="IANA zone, e.g. 'Europe/Luxembourg'."
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166 code whose public holidays close this calendar, e.g. 'LU'.",
    )
    subdivision = models.CharField(max_length=10, blank=True, help_text="Region of the country, if any.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        build_business_calendar(
            hours=self.hours,
            time_zone=self.time_zone,
            country=self.country,
            subdivision=self.subdivision,
            closed_dates=(),
        )


def build_business_calendar(
    *, hours: str, time_zone: str, country: str, subdivision: str, closed_dates
) -> BusinessCalendar:
    """Build the engine's calendar, turning its ValueError into a ValidationError on the right field."""

    errors: dict[str, str] = {}
    try:
        parse_week(hours)
    except ValueError as exc:
        errors["hours"] = str(exc)
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    try:
        return BusinessCalendar(
            hours, time_zone, holidays=closed_dates, country=country or None, subdivision=subdivision or None
        )
    except ValueError as exc:
        field = "subdivision" if subdivision and "subdivision" in str(exc) else "country"
        raise ValidationError({field: str(exc)}) from None


class ClosedDate(models.Model):
    """A date on which the calendar is closed all day, besides the country's public holidays."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closed_dates")
    date = models.DateField()
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closed_date_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.label}".strip()


class Channel(models.TextChoices):
    """Every way a message reaches support: a ticket's channel, and what a plan includes. The one list of
    channels (tickets.models reads it from here)."""

    PORTAL = "portal", gettext_lazy("Portal")
    EMAIL = "email", gettext_lazy("Email")
    API = "api", gettext_lazy("API")
    WHATSAPP = "whatsapp", gettext_lazy("WhatsApp")
    CHAT = "chat", gettext_lazy("Chat")
    PHONE = "phone", gettext_lazy("Phone")
    # No door of Guichet's own: staff log what reached them there (POST /api/v1/tickets with this channel).
    MATRIX = "matrix", gettext_lazy("Matrix")
    SKYPE = "skype", gettext_lazy("Skype")


# Guichet's own doors: every plan includes them (the policies list the support channels a contract adds).
ALWAYS_OPEN = (Channel.PORTAL, Channel.API)
# How a plan's list of channels names them to customers: the words of the providers' offers.
OFFERED_AS: dict[str, str] = {
    Channel.API: "the API",
    Channel.CHAT: "Live chat",
    Channel.MATRIX: "Matrix chat",
}


class PhoneQueuePriority(models.TextChoices):
    NONE = "none", gettext_lazy("No phone support")
    STANDARD = "standard", gettext_lazy("Standard")
    PRIORITY = "priority", pgettext_lazy("phone queue", "Priority")
    PRIORITY_PLUS = "priority_plus", gettext_lazy("Priority+")
    PRIORITY_PLUS_PLUS = "priority_plus_plus", gettext_lazy("Priority++")


class QuotaPolicy(models.TextChoices):
    FLAG = "flag", gettext_lazy("Allow, and flag the ticket as over quota")
    REFUSE = "refuse", gettext_lazy("Refuse the ticket")


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    MEDIUM = "medium", pgettext_lazy("priority", "Medium")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class Clock(models.TextChoices):
    FIRST_RESPONSE = "first_response", gettext_lazy("First response (MRT)")
    INTERVENTION = "intervention", gettext_lazy("Intervention (TTI)")
    RESOLUTION = "resolution", gettext_lazy("Resolution (TTR)")


# A clock named inside a sentence ("75 % of the first response time used"), in the reader's language.
CLOCK_IN_SENTENCE: dict[str, Promise] = {
    Clock.FIRST_RESPONSE: pgettext_lazy("clock in a sentence", "first response"),
    Clock.INTERVENTION: pgettext_lazy("clock in a sentence", "intervention"),
    Clock.RESOLUTION: pgettext_lazy("clock in a sentence", "resolution"),
}


def clock_in_sentence(code: str) -> str:
    return str(CLOCK_IN_SENTENCE.get(code, code))


# A clock named on its own (a badge, a heading), in the reader's language. Plans have no labels of their own:
# every plan names its clocks so (the "(MRT)" of the choices is the contracts' abbreviation, for the admin).
CLOCK_LABEL: dict[str, Promise] = {
    Clock.FIRST_RESPONSE: gettext_lazy("First response"),
    Clock.INTERVENTION: gettext_lazy("Intervention"),
    Clock.RESOLUTION: gettext_lazy("Resolution"),
}


def clock_label(code: str) -> str:
    return str(CLOCK_LABEL.get(code, gettext_lazy("Commitment")))


class TimeUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", gettext_lazy("business hours")
    BUSINESS_DAYS = "business_days", gettext_lazy("business days")


PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class SlaPlan(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    availability_guarantee = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="% of each calendar month the service must be fully up; empty: no guarantee.",
    )
    support_calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="+", help_text="Hours of the customer-service team."
    )
    fault_calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Fault-handling hours: the incident clocks count only these.",
    )
    billing_calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="Hours of the billing team, when billing tickets run on their own calendar.",
    )
    credit_rate_per_hour = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="Downtime credit, % of the monthly fee per hour of outage; empty: no credits.",
    )
    monthly_credit_cap = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="Maximum credit in a month, % of the monthly fee of the disrupted service.",
    )
    channels = models.JSONField(default=list, blank=True, help_text="Channels the plan includes.")
    phone_queue_priority = models.CharField(
        max_length=20, choices=PhoneQueuePriority.choices, default=PhoneQueuePriority.NONE
    )
    monthly_ticket_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Tickets a customer may open per month; empty: unlimited."
    )
    quota_policy = models.CharField(
        max_length=10,
        choices=QuotaPolicy.choices,
        default=QuotaPolicy.FLAG,
        help_text="What happens to a ticket over the monthly quota.",
    )
    raise_priority_after = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Business hours without a first response after which a ticket is raised one priority "
        "level (e.g. 4); empty: never.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "SLA plan"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(availability_guarantee__isnull=True)
                | models.Q(availability_guarantee__gte=0, availability_guarantee__lte=100),
                name="plan_availability_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_rate_per_hour__isnull=True) | models.Q(credit_rate_per_hour__gte=0),
                name="plan_credit_rate_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_credit_cap__isnull=True) | models.Q(monthly_credit_cap__gte=0),
                name="plan_credit_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_rate_per_hour__isnull=True, monthly_credit_cap__isnull=True)
                | models.Q(credit_rate_per_hour__isnull=False, monthly_credit_cap__isnull=False),
                name="plan_credit_rate_and_cap_together",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def includes_channel(self, channel: str) -> bool:
        """Whether customers on this plan may reach support through ``channel``. The portal and the API are
        Guichet's own doors, open on every plan; a plan that lists no channel restricts none."""
        return channel in ALWAYS_OPEN or not self.channels or channel in self.channels

    def channel_names(self) -> list[str]:
        """The channels this plan includes, as customers read them."""
        labels: dict[str, str | Promise] = {**dict(Channel.choices), **OFFERED_AS}
        codes = list(dict.fromkeys([*ALWAYS_OPEN, *(self.channels or [])]))
        return [str(labels.get(c, c)) for c in codes]

    def clean(self) -> None:
        super().clean()
        errors = {}
        unknown = (
            [c for c in self.channels or [] if c not in Channel.values]
            if isinstance(self.channels, list)
            else None
        )
        if unknown is None:
            errors["channels"] = "Channels must be a list of channel codes."
        elif unknown:
            errors["channels"] = (
                f"Unknown channel(s) {', '.join(map(repr, unknown))}: use {', '.join(Channel.values)}."
            )
        if (self.credit_rate_per_hour is None) != (self.monthly_credit_cap is None):
            field = "monthly_credit_cap" if self.monthly_credit_cap is None else "credit_rate_per_hour"
            errors[field] = "A credit rate needs a monthly cap, and a cap needs a rate."
        if self.phone_queue_priority != PhoneQueuePriority.NONE and Channel.PHONE not in (
            self.channels or []
        ):
            errors["phone_queue_priority"] = "A phone-queue priority needs the phone channel."
        if errors:
            raise ValidationError(errors)

    def target(self, clock: str, priority: str) -> PlanTarget | None:
        """The target for a clock and priority: the priority's own row, else the plan-wide one."""
        rows = {t.priority: t for t in self.targets.all() if t.clock == clock}
        return rows.get(priority) or rows.get("")


class PlanTarget(models.Model):
    """A maximum time for one clock (and one priority, or every priority when ``priority`` is blank)."""

    plan = models.ForeignKey(SlaPlan, on_delete=models.CASCADE, related_name="targets")
    clock = models.CharField(max_length=20, choices=Clock.choices)
    priority = models.CharField(
        max_length=10, choices=Priority.choices, blank=True, help_text="Empty: applies to every priority."
    )
    amount = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit = models.CharField(max_length=20, choices=TimeUnit.choices, default=TimeUnit.BUSINESS_HOURS)

    class Meta:
        ordering = ["plan", "clock", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "clock", "priority"], name="one_target_per_clock_priority"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="target_amount_positive"),
        ]

    def __str__(self) -> str:
        who = self.get_priority_display() if self.priority else "all priorities"
        return f"{self.get_clock_display()}, {who}: {self.amount.normalize():f} {self.get_unit_display()}"

    def clean(self) -> None:
        super().clean()
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": "A target must be a positive time."})
        if (
            self.unit == TimeUnit.BUSINESS_DAYS
            and self.amount is not None
            and self.amount != self.amount.to_integral()
        ):
            raise ValidationError({"amount": "Business days must be a whole number."})

    def due(self, calendar: BusinessCalendar, start: datetime) -> datetime:
        """The instant this target runs out for a clock started at ``start`` on ``calendar``."""
        if self.unit == TimeUnit.BUSINESS_DAYS:
            return calendar.add_days(start, int(self.amount))
        return calendar.add(start, timedelta(seconds=int(self.amount * 3600)))


class OrganisationPlan(models.Model):
    """The SLA plan an organisation's tickets run on, until per-service subscriptions (contracts) exist.

    It lives here rather than on Organisation because plans depend on customers, never the reverse.
    """

    organisation = models.OneToOneField(
        "customers.Organisation", on_delete=models.CASCADE, related_name="plan_assignment"
    )
    plan = models.ForeignKey(SlaPlan, on_delete=models.PROTECT, related_name="assignments")

    class Meta:
        verbose_name = "organisation's plan"

    def __str__(self) -> str:
        return f"{self.organisation}: {self.plan}"


def validate_tiers(value) -> None:
    """[[miss_at_least, discount_percent], ...]: numbers as strings or numbers, misses distinct, discounts
    between 0 and 100."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Give at least one tier: [[miss from, discount %], ...].")
    seen = set()
    for tier in value:
        if not (isinstance(tier, list | tuple) and len(tier) == 2):
            raise ValidationError(f"{tier!r}: a tier is [miss from, discount %].")
        try:
            miss, discount = Decimal(str(tier[0])), Decimal(str(tier[1]))
        except ArithmeticError:
            raise ValidationError(f"{tier!r}: numbers only.") from None
        if miss < 0 or not 0 <= discount <= 100 or miss in seen:
            raise ValidationError(f"{tier!r}: a miss of 0 or more, once, and a discount from 0 to 100 %.")
        seen.add(miss)


class QualityObjective(models.Model):
    """A measured objective of a plan (000: a latency objective) with tiers of discount: the further the
    measure misses it in a month, the bigger the share of that month's fee credited."""

    plan = models.ForeignKey(SlaPlan, on_delete=models.CASCADE, related_name="quality_objectives")
    metric = models.SlugField(max_length=40, help_text="e.g. latency, jitter, packet-loss")
    unit = models.CharField(max_length=10, blank=True, help_text="e.g. ms, %")
    objective = models.DecimalField(max_digits=10, decimal_places=3)
    higher_is_worse = models.BooleanField(default=True)
    tiers = models.JSONField(
        validators=[validate_tiers],
        help_text='[[miss from, discount %], ...], e.g. [["1", "5"], ["10", "10"], ["25", "25"]]',
    )

    class Meta:
        ordering = ["plan", "metric"]
        constraints = [models.UniqueConstraint(fields=["plan", "metric"], name="one_objective_per_metric")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.metric} {self.objective.normalize():f} {self.unit}".strip()
