"""SLA claims and the credits they give. Invoices (which carry the credits) come next."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

AMOUNT = {"max_digits": 14, "decimal_places": 3}


class CreditKind(models.TextChoices):
    DOWNTIME = "downtime", "Downtime credit"
    RESOLUTION = "resolution", "Late resolution of an incident"


class Claim(models.Model):
    """A customer's claim for SLA credits for a month (000: filed in the first 7 days of the next month, with
    the customer's name and contact, the outage's start and end, the ticket number and a description),
    checked against the recorded outages and tickets, decided by an account manager."""

    class Status(models.TextChoices):
        FILED = "filed", "Filed, awaiting a decision"
        APPROVED = "approved", "Approved"
        PARTIAL = "partial", "Approved in part"
        REJECTED = "rejected", "Rejected"

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="claims"
    )
    subscription = models.ForeignKey(
        "contracts.Subscription", on_delete=models.PROTECT, related_name="claims"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(max_length=12, choices=CreditKind.choices, default=CreditKind.DOWNTIME)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    customer_name = models.CharField(max_length=200)
    customer_contact = models.CharField(max_length=200)
    outage_start = models.DateTimeField()
    outage_end = models.DateTimeField()
    description = models.TextField()
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    door = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FILED)
    verified_seconds = models.PositiveIntegerField(
        help_text="The part of the claimed time the records confirm (outages, or the ticket's lateness)."
    )
    proposed_amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    computation = models.TextField(help_text="How the proposed amount was reached.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "ticket", "kind", "year", "month"], name="one_claim_per_ticket_month"
            )
        ]
        indexes = [models.Index(fields=["organisation", "filed_at"], name="claim_org_filed")]

    def __str__(self) -> str:
        return f"Claim {self.pk} {self.year}-{self.month:02d} ({self.get_status_display()})"


class Credit(models.Model):
    """Money owed to a customer, credited on its next invoices (never paid in cash, 000): what an invoice
    cannot absorb is carried over to the next one."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="credits"
    )
    subscription = models.ForeignKey(
        "contracts.Subscription", on_delete=models.PROTECT, related_name="credits"
    )
    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="credit"
    )
    kind = models.CharField(max_length=12, choices=CreditKind.choices)
    year = models.PositiveSmallIntegerField(help_text="The month whose service failed.")
    month = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    explanation = models.TextField()
    applied = models.DecimalField(**AMOUNT, default=Decimal(0), help_text="How much invoices have absorbed.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["subscription", "year", "month"], name="credit_subscription_month")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.subscription} ({self.year}-{self.month:02d})"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.applied
