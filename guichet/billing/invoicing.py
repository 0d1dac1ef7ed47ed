"""The monthly billing run and credit notes.

A run bills one calendar month: one invoice per organisation (and currency), one line per charge — each
subscription's fee for the days it was billable that month (prorated; a fee change mid-month makes two
lines), then each open credit as its own negative line, oldest first, as far as the charges go: what an
invoice cannot absorb stays on the credit and goes onto the next invoice (credits are never paid in cash).
VAT at the organisation's rate on what remains. Amounts are rounded once per line, to the currency's minor
unit (``guichet.money``), and VAT once on the subtotal.

Safe to run again: an organisation's month is invoiced once (a unique constraint), so a second run, or two
runs at once, bill nothing twice. Numbers are sequential per series and year with no gaps: they come from a
counter row locked in the same transaction as the invoices they number, so a rollback gives them back. A run
writes ``CHUNK`` organisations per transaction (one commit, one lock of the counter), each invoice in a
savepoint: an invoice that clashes with a concurrent run is skipped without its number; any other failure
rolls back the chunk, and the next run bills it. An issued invoice is never edited; a correction is a
credit note that refers to it.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from guichet import provider
from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.contracts.models import FeeChange, Subscription, SubscriptionStatus
from guichet.customers.models import User
from guichet.customers.permissions import may_bill
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.amounts import Money, quantize
from guichet.money.credits import prorate

from .models import BillingProfile, Credit, Invoice, InvoiceCounter, InvoiceLine

log = logging.getLogger(__name__)
BILLED_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, SubscriptionStatus.TERMINATED)
SERIES: dict[str, str] = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "AV"}
CHUNK = 100  # organisations per transaction of a billing run


def month_days(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def locked_counter(kind: str, year: int) -> InvoiceCounter:
    """The series' counter for the year, locked until the end of the current transaction: numbers taken
    from it and written in the same transaction are given back by a rollback."""
    series = SERIES[kind]
    InvoiceCounter.objects.get_or_create(series=series, year=year)  # first of the year: may race, harmless
    return InvoiceCounter.objects.select_for_update().get(series=series, year=year)


def number(counter: InvoiceCounter, n: int) -> str:
    return f"{counter.series}-{counter.year}-{n:06d}"


def next_number(kind: str, year: int) -> str:
    """The next number of the series; call it inside the transaction that writes the document."""
    counter = locked_counter(kind, year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return number(counter, counter.last)


@dataclass
class Charge:
    subscription: Subscription
    first_day: date
    last_day: date
    monthly_fee: Decimal
    amount: Decimal


def charges(subscription: Subscription, fees: list[FeeChange], year: int, month: int) -> list[Charge]:
    """The subscription's fee for the days of the month it was billable, one charge per fee in force."""
    first, last = month_days(year, month)
    start = max(first, subscription.start_date)
    end = min(last, subscription.end_date) if subscription.end_date else last
    result = []
    for i, change in enumerate(fees):
        piece_start = max(start, change.effective_on)
        following = fees[i + 1].effective_on - timedelta(days=1) if i + 1 < len(fees) else end
        piece_end = min(end, following)
        if piece_start > piece_end:
            continue
        amount = prorate(
            monthly_fee=change.monthly_fee,
            currency=subscription.currency,
            year=year,
            month=month,
            first_day=piece_start,
            last_day=piece_end,
        )
        result.append(Charge(subscription, piece_start, piece_end, change.monthly_fee, amount))
    return result


def _charge_text(charge: Charge, currency: str) -> str:
    s = charge.subscription
    fee = Money.of(charge.monthly_fee, currency)
    days = f"{charge.first_day:%Y-%m-%d} to {charge.last_day:%Y-%m-%d}"
    return f"{s.service.name} {s.identifier}: {days} at {fee} a month"


def _credit_text(credit: Credit, applied: Decimal) -> str:
    s = credit.subscription
    month = f"{credit.year}-{credit.month:02d}"
    # The line is stored as it is written here, in English, whoever runs the billing (an API call may come
    # in French): the kind's label, translatable, is read in English too.
    with translation.override("en"):
        kind = credit.get_kind_display().lower()
    text = f"Credit: {kind}, {s.service.name} {s.identifier}, {month}"
    if applied < credit.remaining:
        rest = Money.of(credit.remaining - applied, credit.currency)
        text += f" ({rest} carried over to the next invoice)"
    return text


def billing_run(year: int, month: int, *, organisation_ids: list[int] | None = None) -> dict[str, int]:
    """Invoice ``year``-``month`` for every organisation with something to bill (see the module's docstring).
    Returns counts: issued, already (invoiced before), empty (nothing to bill)."""
    first, last = month_days(year, month)
    billing_date = last + timedelta(days=1)
    today = provider.today()
    if today < billing_date:
        raise ValidationError(
            {"month": f"{year}-{month:02d} is billed once it has ended, from {billing_date}."}
        )
    billed = (
        Subscription.objects.filter(status__in=BILLED_STATUSES, start_date__lte=last)
        .exclude(end_date__lt=first)
        .select_related("service")
        .order_by("organisation_id", "pk")
    )
    if organisation_ids is not None:
        billed = billed.filter(organisation_id__in=organisation_ids)
    subscriptions = list(billed)
    fees: dict[int, list[FeeChange]] = defaultdict(list)
    for change in FeeChange.objects.filter(
        subscription_id__in=[s.pk for s in subscriptions], effective_on__lte=last
    ).order_by("subscription_id", "effective_on"):
        fees[change.subscription_id].append(change)
    groups: dict[tuple[int, str], list[Subscription]] = defaultdict(list)
    for s in subscriptions:
        groups[(s.organisation_id, s.currency)].append(s)
    done = set(
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, year=year, month=month).values_list(
            "organisation_id", "currency"
        )
    )
    open_credits: dict[tuple[int, str], list[Credit]] = defaultdict(list)
    for credit in (
        Credit.objects.filter(amount__gt=F("applied"), organisation_id__in={o for o, _ in groups})
        .select_related("subscription__service")
        .order_by("created_at", "pk")
    ):
        open_credits[(credit.organisation_id, credit.currency)].append(credit)
    profiles = {
        p.organisation_id: p
        for p in BillingProfile.objects.filter(organisation_id__in={o for o, _ in groups})
    }
    counts = {"issued": 0, "already": 0, "empty": 0}
    pending = []
    for (org_id, currency), subs in groups.items():
        if (org_id, currency) in done:
            counts["already"] += 1
            continue
        lines = [c for s in subs for c in charges(s, fees[s.pk], year, month)]
        if not lines:
            counts["empty"] += 1
            continue
        pending.append((org_id, currency, lines))
    # A transaction per CHUNK organisations (one commit, one lock of the counter), a savepoint per invoice.
    for start in range(0, len(pending), CHUNK):
        with transaction.atomic():
            counter = locked_counter(Invoice.Kind.INVOICE, today.year)
            for org_id, currency, lines in pending[start : start + CHUNK]:
                try:
                    with transaction.atomic():
                        _issue(
                            number(counter, counter.last + 1),
                            org_id,
                            currency,
                            year,
                            month,
                            billing_date,
                            today,
                            lines,
                            open_credits[(org_id, currency)],
                            profiles.get(org_id),
                        )
                except IntegrityError:  # another run invoiced this organisation's month at the same time
                    counts["already"] += 1
                    continue
                counter.last += 1
                counts["issued"] += 1
            counter.save(update_fields=["last"])
    return counts


def _issue(
    invoice_number: str,
    org_id: int,
    currency: str,
    year: int,
    month: int,
    billing_date: date,
    today: date,
    lines: list[Charge],
    credits: list[Credit],
    profile: BillingProfile | None,
) -> Invoice:
    charged = sum((c.amount for c in lines), Decimal(0))
    rows: list[dict[str, Any]] = [
        {
            "description": _charge_text(c, currency),
            "subscription": c.subscription,
            "first_day": c.first_day,
            "last_day": c.last_day,
            "amount": c.amount,
        }
        for c in lines
    ]
    room = charged
    used: list[Credit] = []
    if credits:
        # Read again under lock: a credit absorbed by a concurrent run of another month is not used twice.
        fresh = {c.pk: c for c in Credit.objects.select_for_update().filter(pk__in=[c.pk for c in credits])}
        for credit in credits:
            current = fresh.get(credit.pk)
            if current is None or room <= 0 or current.remaining <= 0:
                continue
            applied = min(current.remaining, room)
            credit.applied = current.applied
            rows.append({"description": _credit_text(credit, applied), "credit": credit, "amount": -applied})
            credit.applied = current.applied + applied
            used.append(credit)
            room -= applied
    subtotal = room  # the charges less the credits they absorbed
    vat_rate = profile.vat_rate if profile else Decimal(settings.GUICHET_DEFAULT_VAT_RATE)
    vat = quantize(subtotal * vat_rate / 100, currency)
    invoice = Invoice.objects.create(
        number=invoice_number,
        kind=Invoice.Kind.INVOICE,
        organisation_id=org_id,
        year=year,
        month=month,
        currency=currency,
        billing_date=billing_date,
        issue_date=today,
        due_date=today + timedelta(days=profile.payment_days if profile else 30),
        subtotal=subtotal,
        vat_rate=vat_rate,
        vat_amount=vat,
        total=subtotal + vat,
        issued_at=timezone.now(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, position=i, **row) for i, row in enumerate(rows, start=1)
    )
    if used:
        Credit.objects.bulk_update(used, ["applied"])
    record(
        actor=None,
        door=Door.SYSTEM,
        action="invoice.issued",
        target=invoice,
        organisation_id=org_id,
        changes={
            "number": invoice.number,
            "month": f"{year}-{month:02d}",
            "total": f"{invoice.total} {currency}",
        },
    )
    enqueue_with_commit("guichet.billing.tasks.send_invoice", invoice.pk)
    return invoice


@transaction.atomic
def credit_note_issue(
    *, actor: User, door: Door, invoice: Invoice, reason: str, amount: Decimal | None = None
) -> Invoice:
    """Correct an issued invoice by a credit note that refers to it: ``amount`` excluding VAT (all of what the
    invoice still bills, by default), VAT at the invoice's rate, the reason printed on it."""
    if not may_bill(actor):
        raise PermissionDenied("Only billing staff, supervisors and admins issue credit notes.")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    errors: dict[str, str] = {}
    if invoice.kind != Invoice.Kind.INVOICE:
        errors["invoice"] = "A credit note corrects an invoice, not another credit note."
    if not reason.strip():
        errors["reason"] = "Say why the invoice is corrected: the customer reads it."
    corrected = -sum((n.subtotal for n in invoice.credit_notes.all()), Decimal(0))
    left = invoice.subtotal - corrected
    amount = left if amount is None else amount
    if not Decimal(0) < amount <= left:
        errors["amount"] = (
            f"A credit note of {invoice.number} is more than 0 and at most {left} {invoice.currency}."
        )
    elif quantize(amount, invoice.currency) != amount:
        errors["amount"] = f"{invoice.currency} amounts have the currency's decimals at most."
    if errors:
        raise ValidationError(errors)
    today = provider.today()
    vat = quantize(amount * invoice.vat_rate / 100, invoice.currency)
    note = Invoice.objects.create(
        number=next_number(Invoice.Kind.CREDIT_NOTE, today.year),
        kind=Invoice.Kind.CREDIT_NOTE,
        organisation_id=invoice.organisation_id,
        year=invoice.year,
        month=invoice.month,
        currency=invoice.currency,
        billing_date=today,
        issue_date=today,
        due_date=today,
        subtotal=-amount,
        vat_rate=invoice.vat_rate,
        vat_amount=-vat,
        total=-(amount + vat),
        corrects=invoice,
        reason=reason.strip(),
        issued_at=timezone.now(),
    )
    InvoiceLine.objects.create(
        invoice=note,
        position=1,
        description=f"Correction of {invoice.number}: {reason.strip()}"[:300],
        amount=-amount,
    )
    record(
        actor=actor,
        door=door,
        action="invoice.credit_note",
        target=note,
        organisation_id=invoice.organisation_id,
        changes={"number": note.number, "corrects": invoice.number, "amount": f"{amount} {invoice.currency}"},
    )
    enqueue_with_commit("guichet.billing.tasks.send_invoice", note.pk)
    return note
