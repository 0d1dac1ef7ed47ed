"""SLA claims: filed by a customer, checked against the records, decided by an account manager.

Policy 000: a claim is accepted only within the first ``GUICHET_CLAIM_WINDOW_DAYS`` (7) days of a month, in
the provider's time zone, for the month before; it carries the customer's name and contact, the start and end
of the outage, the ticket number and a description — each missing part is named. The claim is checked when
filed: the claimed time is intersected with the subscription's recorded outages (planned maintenance and
force majeure excluded), or, for a late resolution, with the time the ticket's resolution clock ran past its
due instant; the proposed credit follows the plan's rate and monthly cap (policy 004). An account manager
approves it in full or in part, or rejects it with a reason; the customer gets the decision by mail.
Approved amounts become ``Credit`` rows, credited on the next invoices, never paid in cash.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from guichet.audit.services import record
from guichet.availability.services import excluded, quality
from guichet.contracts.models import Subscription
from guichet.contracts.selectors import fee_on_day
from guichet.customers.models import User
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.amounts import minor_unit, quantize
from guichet.money.availability import month_bounds
from guichet.money.credits import downtime_credit
from guichet.money.intervals import clip, format_duration, subtract, total_seconds
from guichet.money.terms import claim_month
from guichet.tickets.errors import PermissionDenied, ValidationError
from guichet.tickets.models import Category, Clock, Ticket

from . import notices
from .models import Claim, Credit, CreditKind

Status = Claim.Status
DECIDERS = (User.Kind.ACCOUNT_MANAGER, User.Kind.SUPERVISOR, User.Kind.ADMIN)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.GUICHET_PROVIDER_TIME_ZONE)


def window_message() -> str:
    days = settings.GUICHET_CLAIM_WINDOW_DAYS
    return (
        f"Claims are accepted during the first {days} days of a month ({settings.GUICHET_PROVIDER_TIME_ZONE} "
        "time), for the month before."
    )


def _fee_on(subscription: Subscription, moment: datetime) -> Decimal:
    return fee_on_day(subscription, moment.astimezone(_tz()).date())


def credited(subscription: Subscription, year: int, month: int) -> Decimal:
    """What was already credited for this subscription's month (the cap is per service per month)."""
    total = Credit.objects.filter(subscription=subscription, year=year, month=month).aggregate(
        s=Sum("amount")
    )
    return total["s"] or Decimal(0)


def _verified_downtime(subscription: Subscription, start: datetime, end: datetime) -> int:
    rows = subscription.outages.filter(started_at__lt=end).exclude(ended_at__lte=start)
    down, holes = [], []
    now = timezone.now()
    for outage in rows:
        window = (outage.started_at, outage.ended_at or max(now, outage.started_at))
        (holes if excluded(outage) else down).append(window)
    return total_seconds(clip(subtract(down, holes), start=start, end=end))


def _verified_lateness(ticket: Ticket, start: datetime, end: datetime) -> int:
    clock = ticket.clocks.filter(clock=Clock.RESOLUTION).first()
    if clock is None or clock.breached_at is None:
        return 0
    late_until = ticket.resolved_at or timezone.now()
    return total_seconds(clip([(clock.breached_at, late_until)], start=start, end=end))


def _parse_errors(
    *,
    customer_name: str | None,
    customer_contact: str | None,
    outage_start: datetime | None,
    outage_end: datetime | None,
    ticket: str | None,
    description: str | None,
) -> dict[str, str]:
    errors = {}
    if not (customer_name or "").strip():
        errors["customer_name"] = "Give the customer's name."
    if not (customer_contact or "").strip():
        errors["customer_contact"] = "Give a contact (mail address or phone number) for the answer."
    if outage_start is None:
        errors["outage_start"] = "Give the start of the outage."
    elif outage_start.tzinfo is None:
        errors["outage_start"] = "Instants must carry a time zone offset."
    if outage_end is None:
        errors["outage_end"] = "Give the end of the outage."
    elif outage_end.tzinfo is None:
        errors["outage_end"] = "Instants must carry a time zone offset."
    if not (ticket or "").strip():
        errors["ticket"] = "Give the number of the ticket of the outage."
    if not (description or "").strip():
        errors["description"] = "Describe the outage briefly."
    return errors


def claim_file(
    *,
    actor: User,
    door: str,
    subscription: Subscription,
    kind: str = CreditKind.DOWNTIME,
    customer_name: str | None,
    customer_contact: str | None,
    outage_start: datetime | None,
    outage_end: datetime | None,
    ticket: str | None,
    description: str | None,
    metric: str | None = None,
) -> Claim:
    """File a claim for ``subscription`` (see the module's docstring). Staff may file one on a customer's
    behalf (a claim received by mail); the window applies to them too."""
    contact = getattr(actor, "contact", None)
    if actor.kind == User.Kind.CUSTOMER and (
        contact is None or contact.organisation_id != subscription.organisation_id
    ):
        raise PermissionDenied("You can only claim for your organisation's subscriptions.")
    now = timezone.now()
    errors = _parse_errors(
        customer_name=customer_name,
        customer_contact=customer_contact,
        outage_start=outage_start,
        outage_end=outage_end,
        ticket=ticket,
        description=description,
    )
    if kind not in CreditKind.values:
        errors["kind"] = f"Unknown kind {kind!r}: use {', '.join(CreditKind.values)}."
    metric = (metric or "").strip()
    if kind == CreditKind.QUALITY:
        metrics = list(subscription.plan.quality_objectives.values_list("metric", flat=True))
        if not metrics:
            errors["kind"] = f"The {subscription.plan.name} plan has no quality objective."
        elif not metric and len(metrics) == 1:
            metric = metrics[0]
        elif metric not in metrics:
            errors["metric"] = f"Say which objective was missed: {', '.join(metrics)}."
    claimed = claim_month(at=now, tz=_tz(), window_days=settings.GUICHET_CLAIM_WINDOW_DAYS)
    if claimed is None:
        errors["filed_at"] = window_message()
    found = None
    if "ticket" not in errors:
        found = Ticket.objects.filter(
            reference=(ticket or "").strip(), organisation=subscription.organisation
        ).first()
        if found is None:
            errors["ticket"] = f"{ticket} is not a ticket of {subscription.organisation.name}."
        elif kind == CreditKind.RESOLUTION and found.category != Category.INCIDENT:
            errors["ticket"] = (
                f"{found.reference} is not an incident: only incidents' resolution times are credited."
            )
    if (
        claimed is not None
        and outage_start
        and outage_end
        and "outage_start" not in errors
        and "outage_end" not in errors
    ):
        month_start, month_end = month_bounds(year=claimed[0], month=claimed[1], tz=_tz())
        if outage_end <= outage_start:
            errors["outage_end"] = "The outage ends after it starts."
        elif outage_end <= month_start or outage_start >= month_end:
            errors["outage_start"] = (
                f"The claim is for {claimed[0]}-{claimed[1]:02d}: the outage must fall in it."
            )
    if errors:
        raise ValidationError(errors)
    assert claimed is not None and found is not None and outage_start and outage_end
    year, month = claimed
    month_start, month_end = month_bounds(year=year, month=month, tz=_tz())
    start, end = max(outage_start, month_start), min(outage_end, month_end)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=subscription.pk)
        if kind == CreditKind.QUALITY:
            verified = 0
            proposal = _quality_proposal(subscription, metric, year, month)
        else:
            if kind == CreditKind.DOWNTIME:
                verified = _verified_downtime(subscription, start, end)
            else:
                verified = _verified_lateness(found, start, end)
            proposal = _proposal(subscription, year, month, verified, start)
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    organisation=subscription.organisation,
                    subscription=subscription,
                    ticket=found,
                    kind=kind,
                    metric=metric,
                    year=year,
                    month=month,
                    customer_name=(customer_name or "").strip(),
                    customer_contact=(customer_contact or "").strip(),
                    outage_start=outage_start,
                    outage_end=outage_end,
                    description=(description or "").strip(),
                    filed_by=actor,
                    filed_at=now,
                    door=door,
                    verified_seconds=verified,
                    proposed_amount=proposal["amount"],
                    currency=subscription.currency,
                    computation=proposal["explanation"],
                    computation_fr=proposal["explanation_fr"],
                )
        except IntegrityError:
            raise ValidationError(
                {
                    "ticket": f"A claim for {found.reference} on this subscription for {year}-{month:02d} "
                    "exists already."
                }
            ) from None
        record(
            actor=actor,
            door=door,
            action="claim.filed",
            target=claim,
            organisation_id=claim.organisation_id,
            changes={
                "subscription": subscription.pk,
                "ticket": found.reference,
                "month": f"{year}-{month:02d}",
                "verified_seconds": verified,
                "proposed": f"{claim.proposed_amount} {claim.currency}",
            },
        )
        notices.claim_filed(claim=claim, at=now)  # the account manager hears (mailed once this commits)
    return claim


def _proposal(
    subscription: Subscription, year: int, month: int, verified: int, start: datetime
) -> dict[str, Any]:
    plan = subscription.plan
    rate, cap = plan.credit_rate_per_hour, plan.monthly_credit_cap
    duration = format_duration(verified)
    confirmed = f"The records confirm {duration} of the claimed time."
    confirmed_fr = f"Les relevés confirment {duration} de la période réclamée."
    if rate is None:
        return {
            "amount": Decimal(0),
            "explanation": f"{confirmed} The {plan.name} plan carries no service credit.",
            "explanation_fr": f"{confirmed_fr} Le plan {plan.name} ne prévoit pas de crédit.",
        }
    texts = {}
    for language in ("en", "fr"):
        credit = downtime_credit(
            monthly_fee=_fee_on(subscription, start),
            currency=subscription.currency,
            rate_percent_per_hour=rate,
            down_seconds=verified,
            cap_percent=cap,
            already_credited=credited(subscription, year, month),
            language=language,
        )
        texts[language] = credit
    return {
        "amount": texts["en"].amount,
        "explanation": f"{confirmed} {texts['en'].explanation}",
        "explanation_fr": f"{confirmed_fr} {texts['fr'].explanation}",
    }


def _quality_proposal(subscription: Subscription, metric: str, year: int, month: int) -> dict[str, Any]:
    _, measure, discount = quality(subscription, metric, year, month)
    if measure is None or discount is None:
        return {
            "amount": Decimal(0),
            "explanation": f"No measure of {metric} is recorded for {year}-{month:02d}.",
            "explanation_fr": f"Aucune mesure de {metric} n'est enregistrée pour {year}-{month:02d}.",
        }
    _, _, french = quality(subscription, metric, year, month, language="fr")
    return {
        "amount": discount.amount,
        "explanation": f"{year}-{month:02d}: {discount.explanation}",
        "explanation_fr": f"{year}-{month:02d} : {french.explanation if french else ''}",
    }


def claim_decide(
    *,
    actor: User,
    door: str,
    claim: Claim,
    decision: str,
    amount: Decimal | str | None = None,
    reason: str = "",
) -> Claim:
    """``decision``: "approve" (the proposed amount), "partial" (``amount``, less than proposed, with a
    reason) or "reject" (with a reason). An approval becomes a ``Credit``; the customer is told by mail."""
    if actor.kind not in DECIDERS:
        raise PermissionDenied("Only account managers, supervisors and admins decide claims.")
    errors: dict[str, str] = {}
    if decision not in ("approve", "partial", "reject"):
        errors["decision"] = "Use approve, partial or reject."
    if decision in ("partial", "reject") and not reason.strip():
        errors["reason"] = "Say why: the customer reads it."
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("subscription").get(pk=claim.pk)
        if claim.status != Status.FILED:
            raise ValidationError(
                {"claim": f"This claim was already decided ({claim.get_status_display().lower()})."}
            )
        granted = Decimal(0)
        if decision == "approve":
            granted = claim.proposed_amount
        elif decision == "partial":
            try:
                granted = Decimal(str(amount)) if amount is not None else Decimal(-1)
            except InvalidOperation:
                granted = Decimal(-1)
            if not Decimal(0) < granted < claim.proposed_amount:
                errors["amount"] = (
                    f"A partial approval is more than 0 and less than the proposed {claim.proposed_amount} "
                    f"{claim.currency}."
                )
            elif -granted.as_tuple().exponent > minor_unit(claim.currency):  # type: ignore[operator]
                errors["amount"] = (
                    f"{claim.currency} amounts have at most {minor_unit(claim.currency)} decimals."
                )
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        claim.status = {"approve": Status.APPROVED, "partial": Status.PARTIAL, "reject": Status.REJECTED}[
            decision
        ]
        claim.decided_by, claim.decided_at, claim.decision_reason = actor, now, reason.strip()
        claim.approved_amount = quantize(granted, claim.currency) if decision != "reject" else None
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "approved_amount"])
        if claim.approved_amount:
            Credit.objects.create(
                organisation_id=claim.organisation_id,
                subscription=claim.subscription,
                claim=claim,
                kind=claim.kind,
                year=claim.year,
                month=claim.month,
                amount=claim.approved_amount,
                currency=claim.currency,
                explanation=claim.computation
                + (
                    ""
                    if decision == "approve"
                    else f" Approved in part: {claim.approved_amount} {claim.currency}."
                ),
                explanation_fr=claim.computation_fr
                + (
                    ""
                    if decision == "approve"
                    else f" Approuvé en partie : {claim.approved_amount} {claim.currency}."
                ),
                created_at=now,
            )
        record(
            actor=actor,
            door=door,
            action="claim.decided",
            target=claim,
            organisation_id=claim.organisation_id,
            changes={
                "status": claim.status,
                "approved": claim.approved_amount,
                "reason": claim.decision_reason,
            },
        )
        from .tasks import send_claim_decision

        enqueue_with_commit(send_claim_decision, claim.pk)
    return claim
