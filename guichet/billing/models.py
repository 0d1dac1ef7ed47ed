"""SLA claims and the credits they give. Invoices (which carry the credits) come next."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.i18n import reading

from . import explain


class _Amount(TypedDict):
    max_digits: int
    decimal_places: int


# Every amount of money: a Decimal with three places (a currency's smallest unit and a rate's thousandths).
AMOUNT: _Amount = {"max_digits": 14, "decimal_places": 3}


class CreditKind(models.TextChoices):
    DOWNTIME = "downtime", _("Downtime credit")
    RESOLUTION = "resolution", _("Late resolution of an incident")
    QUALITY = "quality", _("Quality objective missed")


class Claim(models.Model):
    """A customer's claim for SLA credits for a month (000: filed in the first 7 days of the next month, with
    the customer's name and contact, the outage's start and end, the ticket number and a description),
    checked against the recorded outages and tickets, decided by an account manager."""

    class Status(models.TextChoices):
        FILED = "filed", _("Filed, awaiting a decision")
        APPROVED = "approved", pgettext_lazy("claim status", "Approved")
        PARTIAL = "partial", _("Approved in part")
        REJECTED = "rejected", pgettext_lazy("claim status", "Rejected")

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="claims"
    )
    subscription = models.ForeignKey(
        "contracts.Subscription", on_delete=models.PROTECT, related_name="claims"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(max_length=12, choices=CreditKind.choices, default=CreditKind.DOWNTIME)
    metric = models.SlugField(max_length=40, blank=True, help_text="A quality claim: the metric missed.")
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
    computation_terms = models.JSONField(
        default=list, blank=True, help_text="How the proposed amount was reached, as terms (billing.explain)."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        constraints = [
            # A rejected claim does not stand in the way of a corrected one for the same ticket and month.
            models.UniqueConstraint(
                fields=["subscription", "ticket", "kind", "year", "month"],
                condition=~models.Q(status="rejected"),
                name="one_live_claim_per_ticket_month",
            )
        ]
        indexes = [models.Index(fields=["organisation", "filed_at"], name="claim_org_filed")]

    def __str__(self) -> str:
        return f"Claim {self.pk} {self.year}-{self.month:02d} ({self.get_status_display()})"

    @property
    def computation(self) -> str:
        """How the proposed amount was reached, in the site's language (``computation_in`` words it in the
        reader's). Set to a text, it is said as is in every language."""
        return self.computation_in(settings.LANGUAGE_CODE)

    @computation.setter
    def computation(self, text: str) -> None:
        self.computation_terms = [explain.text(text)]

    @property
    def computation_fr(self) -> str:
        return self.computation_in("fr")

    def computation_in(self, language: str | None) -> str:
        with reading(language):
            return explain.words(self.computation_terms)


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
    explanation_terms = models.JSONField(
        default=list, blank=True, help_text="How the amount was reached: its terms (billing.explain)."
    )
    applied = models.DecimalField(**AMOUNT, default=Decimal(0), help_text="How much invoices have absorbed.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["subscription", "year", "month"], name="credit_subscription_month")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.subscription} ({self.year}-{self.month:02d})"

    @property
    def explanation(self) -> str:
        """How the amount was reached, in the site's language (``explanation_in`` words it in the reader's).
        Set to a text, it is said as is in every language."""
        return self.explanation_in(settings.LANGUAGE_CODE)

    @explanation.setter
    def explanation(self, text: str) -> None:
        self.explanation_terms = [explain.text(text)]

    @property
    def explanation_fr(self) -> str:
        return self.explanation_in("fr")

    def explanation_in(self, language: str | None) -> str:
        with reading(language):
            return explain.words(self.explanation_terms)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.applied


class BillingProfile(models.Model):
    """How an organisation is invoiced: its VAT rate (VAT per organisation) and where invoices go."""

    organisation = models.OneToOneField(
        "customers.Organisation", on_delete=models.CASCADE, related_name="billing_profile"
    )
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent, e.g. 17.00.")
    vat_number = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    invoice_email = models.EmailField(blank=True, help_text="Else the organisation's billing contacts.")
    payment_days = models.PositiveSmallIntegerField(default=30)

    def __str__(self) -> str:
        return f"Billing of {self.organisation}"


class InvoiceCounter(models.Model):
    """The last number of a series in a year (F-2026-000123): one row, locked while a number is taken in the
    same transaction as the invoice, so a rolled-back invoice gives its number back: no gaps."""

    series = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="one_counter_per_series_year")]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last}"


class Invoice(models.Model):
    """An issued invoice or credit note. Never edited once issued: a correction is a credit note that refers
    to it (``corrects``)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="invoices"
    )
    year = models.PositiveSmallIntegerField(help_text="The month billed.")
    month = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3)
    billing_date = models.DateField()
    issue_date = models.DateField()
    due_date = models.DateField()
    subtotal = models.DecimalField(**AMOUNT)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(**AMOUNT)
    total = models.DecimalField(**AMOUNT)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.TextField(blank=True, help_text="A credit note's reason.")
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "currency", "year", "month"],
                condition=models.Q(kind="invoice"),
                name="one_invoice_per_organisation_month",
            )
        ]
        indexes = [models.Index(fields=["organisation", "issued_at"], name="invoice_org_issued")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class InvoiceLine(models.Model):
    """One charge: a subscription's fee for (part of) the month, or a credit as its own negative line."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    subscription = models.ForeignKey(
        "contracts.Subscription", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit = models.ForeignKey(Credit, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    amount = models.DecimalField(**AMOUNT, help_text="Excluding VAT; negative for a credit.")

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="one_line_per_position")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class InvoiceDelivery(models.Model):
    """An invoice mailed to its recipients, once."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="delivery")
    sent_at = models.DateTimeField()
    recipients = models.TextField()

    def __str__(self) -> str:
        return f"{self.invoice} sent {self.sent_at:%Y-%m-%d}"
