"""What an organisation buys: services from the catalogue, subscribed with a fee, a plan and contract terms;
their deployment milestones, suspensions, fee changes and termination requests."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.i18n import reading

from . import explain


class _Money(TypedDict):
    max_digits: int
    decimal_places: int
    validators: list[Callable[[Any], None]]


MONEY: _Money = {"max_digits": 14, "decimal_places": 3, "validators": [MinValueValidator(Decimal(0))]}


class Service(models.Model):
    """A service of the catalogue (a SIP trunk, a fibre line, a mobile line, hosting...)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    default_plan = models.ForeignKey(
        "plans.SlaPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    DEPLOYING = "deploying", _("Being deployed")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Subscription(models.Model):
    """One service for one organisation: what is billed, measured and credited."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="subscriptions"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="subscriptions")
    identifier = models.CharField(max_length=120, help_text="Line number, circuit id or site.")
    monthly_fee = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="EUR")
    plan = models.ForeignKey("plans.SlaPlan", on_delete=models.PROTECT, related_name="subscriptions")
    start_date = models.DateField(help_text="Start of the contract: the commitment and billing run from it.")
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ORDERED
    )
    commitment_months = models.PositiveSmallIntegerField(default=12)
    renewal_months = models.PositiveSmallIntegerField(default=12)
    notice_days = models.PositiveSmallIntegerField(default=30)
    end_date = models.DateField(null=True, blank=True, help_text="Last day of service, once terminated.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "service", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "identifier"],
                condition=~models.Q(status="terminated"),
                name="one_live_subscription_per_identifier",
            )
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="subscription_org_status")]

    def __str__(self) -> str:
        return f"{self.service} {self.identifier}"


class FeeChange(models.Model):
    """The monthly fee from a day on: the history invoices prorate by (a fee change mid-month)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="fee_changes")
    effective_on = models.DateField()
    monthly_fee = models.DecimalField(**MONEY)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["subscription", "effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "effective_on"], name="one_fee_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.monthly_fee} from {self.effective_on}"


class Milestone(models.Model):
    """A step of a new service's deployment, with its date, visible to the customer (002 §4.2, §4.4)."""

    class Kind(models.TextChoices):
        ORDERED = "ordered", _("Ordered")
        SURVEY = "survey", _("Site survey")
        INSTALLATION_SCHEDULED = "installation_scheduled", _("Installation scheduled")
        INSTALLED = "installed", _("Installed")
        VERIFIED = "verified", _("Verified at commissioning")
        ACTIVE = "active", _("In service")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField(help_text="When it happened (or, for a scheduled installation, when it will).")
    note = models.TextField(blank=True)
    check_passed = models.BooleanField(null=True, blank=True, help_text="Commissioning check: its result.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["subscription", "at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind"], name="one_milestone_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.get_kind_display()}"


class Suspension(models.Model):
    """A line suspended at once (loss, theft...) and, later, resumed (002 §9.3)."""

    class Reason(models.TextChoices):
        LOSS = "loss", _("Lost device")
        THEFT = "theft", _("Stolen device")
        OTHER = "other", _("Other")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.TextField(blank=True)
    suspended_at = models.DateTimeField()
    suspended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["subscription", "-suspended_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(resumed_at__isnull=True),
                name="one_open_suspension",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} suspended {self.suspended_at:%Y-%m-%d %H:%M}"


class TerminationRequest(models.Model):
    """A request to end a subscription, with the earliest end the contract terms allow (000)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="terminations")
    requested_at = models.DateTimeField()
    requested_on = models.DateField(help_text="The request's date in the provider's time zone.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    door = models.CharField(max_length=10)
    last_day = models.DateField(help_text="The last day of service.")
    explanation_terms = models.JSONField(
        default=dict, blank=True, help_text="How the last day was reached: its terms (contracts.explain)."
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_live_termination",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription}: ends {self.last_day}"

    @property
    def explanation(self) -> str:
        """How the last day was reached, in the site's language (``explanation_in`` words it in the
        reader's). Set to a text, it is said as is in every language."""
        return self.explanation_in(settings.LANGUAGE_CODE)

    @explanation.setter
    def explanation(self, text: str) -> None:
        self.explanation_terms = explain.text(text)

    @property
    def explanation_fr(self) -> str:
        return self.explanation_in("fr")

    def explanation_in(self, language: str | None) -> str:
        with reading(language):
            return explain.stored(self.explanation_terms)
