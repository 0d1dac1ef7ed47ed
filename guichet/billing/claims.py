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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext

from guichet import provider
from guichet.audit.services import record
from guichet.availability.services import excluded, monthly, quality
from guichet.contracts.models import Subscription
from guichet.contracts.selectors import fee_on_day
from guichet.customers.models import User
from guichet.customers.selectors import acting_contact
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.amounts import minor_unit, quantize
from guichet.money.credits import downtime_credit
from guichet.money.intervals import Interval, clip, format_duration, subtract, total_seconds
from guichet.tickets.models import Category, Clock, Ticket

from . import notices
from .models import Claim, Credit, CreditKind

Status = Claim.Status
DECIDERS = (User.Kind.ACCOUNT_MANAGER, User.Kind.SUPERVISOR, User.Kind.ADMIN)
# A claim still standing: its time is not claimed again. A rejected claim stands for nothing.
LIVE = (Status.FILED, Status.APPROVED, Status.PARTIAL)
# A claim that gave a credit: at the decision, only these count against another claim of the same time.
GRANTED = (Status.APPROVED, Status.PARTIAL)


def _fee_on(subscription: Subscription, moment: datetime) -> Decimal:
    return fee_on_day(subscription, provider.today(moment))


def credited(subscription: Subscription, year: int, month: int) -> Decimal:
    """What was already credited for this subscription's month (the cap is per service per month)."""
    total = Credit.objects.filter(subscription=subscription, year=year, month=month).aggregate(
        s=Sum("amount")
    )
    return total["s"] or Decimal(0)


def _verified_downtime(subscription: Subscription, start: datetime, end: datetime) -> list[Interval]:
    """The subscription's recorded downtime within ``[start, end)``, maintenance and force majeure out."""
    rows = subscription.outages.filter(started_at__lt=end).exclude(ended_at__lte=start)
    down, holes = [], []
    now = timezone.now()
    for outage in rows:
        window = (outage.started_at, outage.ended_at or max(now, outage.started_at))
        (holes if excluded(outage) else down).append(window)
    return clip(subtract(down, holes), start=start, end=end)


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
    for field, value, missing in (
        ("outage_start", outage_start, "Give the start of the outage."),
        ("outage_end", outage_end, "Give the end of the outage."),
    ):
        if value is None:
            errors[field] = missing
        elif value.tzinfo is None:
            errors[field] = "Instants must carry a time zone offset."
        else:
            try:
                value.astimezone(UTC)  # stored in UTC: 0001-01-01 00:00 at +09:00 would be in year 0
            except OverflowError:
                errors[field] = gettext("This instant is out of range.")
    if not (ticket or "").strip():
        errors["ticket"] = "Give the number of the ticket of the outage."
    if not (description or "").strip():
        errors["description"] = "Describe the outage briefly."
    return errors


def claim_file(  # noqa: C901, PLR0912  # split by issue 14 step 2/4
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
    contact = acting_contact(actor)
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
    claimed = provider.claimable_month(now)
    if claimed is None:
        errors["filed_at"] = provider.claim_window_message()
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
        month_start, month_end = provider.month(claimed[0], claimed[1])
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
    with transaction.atomic():
        # The subscription's row serialises the claims and decisions of the service: the cap is per service
        # and month, and an overlap is judged against the claims already there.
        subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=subscription.pk)
        assessment = _assess(
            subscription=subscription,
            kind=kind,
            metric=metric,
            ticket=found,
            year=year,
            month=month,
            outage_start=outage_start,
            outage_end=outage_end,
            others=Claim.objects.filter(status__in=LIVE),
            now=now,
        )
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
                    verified_seconds=assessment.verified,
                    proposed_amount=assessment.amount,
                    currency=subscription.currency,
                    computation=assessment.explanation,
                    computation_fr=assessment.explanation_fr,
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
                "verified_seconds": assessment.verified,
                "proposed": f"{claim.proposed_amount} {claim.currency}",
            },
        )
        notices.claim_filed(claim=claim, at=now)  # the account manager hears (mailed once this commits)
    return claim


@dataclass(frozen=True)
class _Assessment:
    """What a claim is worth now: the seconds the records confirm and no other claim covers, the amount
    (after the guarantee, the overlap and the monthly cap) and how it was reached, in English and French."""

    verified: int
    amount: Decimal
    explanation: str
    explanation_fr: str


def _assess(
    *,
    subscription: Subscription,
    kind: str,
    metric: str,
    ticket: Ticket,
    year: int,
    month: int,
    outage_start: datetime,
    outage_end: datetime,
    others: Iterable[Claim],
    now: datetime,
    exclude: int | None = None,
) -> _Assessment:
    """The claim's worth against the records and against ``others`` (a queryset of claims: the live ones when
    it is filed, the granted ones when it is decided). Called under the subscription's lock."""
    if kind == CreditKind.QUALITY:
        return _quality_proposal(subscription, metric, year, month, others, exclude)
    month_start, month_end = provider.month(year, month)
    start, end = max(outage_start, month_start), min(outage_end, month_end)
    if kind == CreditKind.RESOLUTION:
        confirmed = _verified_lateness(ticket, start, end)
        return _proposal(subscription, year, month, _confirmed(confirmed), confirmed, start)
    windows = _verified_downtime(subscription, start, end)
    confirmed = total_seconds(windows)
    # Two claims of the same outage (say, with two tickets) count its time once: what another claim of the
    # service's month already covers is taken out.
    overlapping = [
        claim
        for claim in others.filter(  # type: ignore[attr-defined]
            subscription=subscription,
            kind=CreditKind.DOWNTIME,
            year=year,
            month=month,
            outage_start__lt=end,
            outage_end__gt=start,
        )
        .exclude(pk=exclude)
        .order_by("pk")
    ]
    counted = total_seconds(subtract(windows, [(c.outage_start, c.outage_end) for c in overlapping]))
    texts = _confirmed(confirmed)
    if counted < confirmed:
        numbers = ", ".join(str(c.pk) for c in overlapping)
        twice, left = format_duration(confirmed - counted), format_duration(counted)
        texts = (
            texts[0][:-1] + f"; {twice} of it is already claimed (claim {numbers}), so {left} counts.",
            texts[1][:-1]
            + f" ; {twice} en figurent déjà dans la réclamation {numbers}, il reste donc {left}.",
        )
    measured = monthly(subscription, year, month, now=now)
    if measured.met:
        # Policy 004: credits are owed only "si la disponibilité de notre service tombe en dessous du niveau
        # de disponibilité garanti". A month that met its guarantee owes nothing, whatever was down in it.
        return _Assessment(
            verified=counted,
            amount=quantize(Decimal(0), subscription.currency),
            explanation=f"{texts[0]} {measured.explain()} No downtime credit is owed: credits are granted "
            "only when the month's availability falls below the guarantee.",
            explanation_fr=f"{texts[1]} {measured.explain('fr')} Aucun crédit d'indisponibilité n'est dû : "
            "les crédits ne sont accordés que si la disponibilité du mois tombe en dessous du niveau "
            "garanti.",
        )
    return _proposal(subscription, year, month, texts, counted, start)


def _confirmed(seconds: int) -> tuple[str, str]:
    duration = format_duration(seconds)
    return (
        f"The records confirm {duration} of the claimed time.",
        f"Les relevés confirment {duration} de la période réclamée.",
    )


def _proposal(
    subscription: Subscription,
    year: int,
    month: int,
    texts: tuple[str, str],
    verified: int,
    start: datetime,
) -> _Assessment:
    plan = subscription.plan
    rate, cap = plan.credit_rate_per_hour, plan.monthly_credit_cap
    confirmed, confirmed_fr = texts
    if rate is None:
        return _Assessment(
            verified=verified,
            amount=Decimal(0),
            explanation=f"{confirmed} The {plan.name} plan carries no service credit.",
            explanation_fr=f"{confirmed_fr} Le plan {plan.name} ne prévoit pas de crédit.",
        )
    texts_by_language = {}
    for language in ("en", "fr"):
        texts_by_language[language] = downtime_credit(
            monthly_fee=_fee_on(subscription, start),
            currency=subscription.currency,
            rate_percent_per_hour=rate,
            down_seconds=verified,
            cap_percent=cap,
            already_credited=credited(subscription, year, month),
            language=language,
        )
    return _Assessment(
        verified=verified,
        amount=texts_by_language["en"].amount,
        explanation=f"{confirmed} {texts_by_language['en'].explanation}",
        explanation_fr=f"{confirmed_fr} {texts_by_language['fr'].explanation}",
    )


def _quality_proposal(
    subscription: Subscription,
    metric: str,
    year: int,
    month: int,
    others: Iterable[Claim],
    exclude: int | None,
) -> _Assessment:
    _, measure, discount = quality(subscription, metric, year, month)
    if measure is None or discount is None:
        return _Assessment(
            verified=0,
            amount=Decimal(0),
            explanation=f"No measure of {metric} is recorded for {year}-{month:02d}.",
            explanation_fr=f"Aucune mesure de {metric} n'est enregistrée pour {year}-{month:02d}.",
        )
    _, _, french = quality(subscription, metric, year, month, language="fr")
    explanation = f"{year}-{month:02d}: {discount.explanation}"
    explanation_fr = f"{year}-{month:02d} : {french.explanation if french else ''}"
    # One discount per objective and month, whatever the number of claims (or tickets) that ask for it.
    earlier = [
        claim.pk
        for claim in others.filter(  # type: ignore[attr-defined]
            subscription=subscription, kind=CreditKind.QUALITY, metric=metric, year=year, month=month
        )
        .exclude(pk=exclude)
        .order_by("pk")
    ]
    if earlier and discount.amount:
        numbers = ", ".join(str(pk) for pk in earlier)
        return _Assessment(
            verified=0,
            amount=quantize(Decimal(0), subscription.currency),
            explanation=f"{explanation}; already claimed (claim {numbers}): counted once.",
            explanation_fr=f"{explanation_fr} ; déjà réclamé (réclamation {numbers}) : compté une fois.",
        )
    return _Assessment(
        verified=0, amount=discount.amount, explanation=explanation, explanation_fr=explanation_fr
    )


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
    reason) or "reject" (with a reason). An approval becomes a ``Credit``; the customer is told by mail.

    The amount is computed again when the claim is decided, under the lock of the subscription's row (so two
    account managers deciding at once are served one after the other): against what is credited by then
    for the service's month (the monthly cap holds whatever the number of claims, tickets or decisions) and
    against the claims of the same time granted by then. An approval when nothing is left is refused."""
    if actor.kind not in DECIDERS:
        raise PermissionDenied("Only account managers, supervisors and admins decide claims.")
    errors: dict[str, str] = {}
    if decision not in ("approve", "partial", "reject"):
        errors["decision"] = "Use approve, partial or reject."
    if decision in ("partial", "reject") and not reason.strip():
        errors["reason"] = "Say why: the customer reads it."
    with transaction.atomic():
        # The subscription first, then the claim: the order claim_file locks in too.
        subscription = (
            Subscription.objects.select_for_update().select_related("plan").get(pk=claim.subscription_id)
        )
        claim = Claim.objects.select_for_update().select_related("ticket").get(pk=claim.pk)
        if claim.status != Status.FILED:
            raise ValidationError(
                {"claim": f"This claim was already decided ({claim.get_status_display().lower()})."}
            )
        now = timezone.now()
        granted = Decimal(0)
        if decision in ("approve", "partial"):
            _reassess(claim, subscription, now)
        if decision == "approve":
            granted = claim.proposed_amount
            if not granted and "decision" not in errors:
                errors["decision"] = gettext(
                    "Nothing is left to credit: %(computation)s Reject the claim, saying why."
                ) % {"computation": claim.computation_in(get_language() or "en")}
        elif decision == "partial":
            granted = _decimal(amount)
            if not (granted.is_finite() and Decimal(0) < granted < claim.proposed_amount):
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
        claim.status = {"approve": Status.APPROVED, "partial": Status.PARTIAL, "reject": Status.REJECTED}[
            decision
        ]
        claim.decided_by, claim.decided_at, claim.decision_reason = actor, now, reason.strip()
        claim.approved_amount = quantize(granted, claim.currency) if decision != "reject" else None
        claim.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_reason",
                "approved_amount",
                "verified_seconds",
                "proposed_amount",
                "computation",
                "computation_fr",
            ]
        )
        if claim.approved_amount:
            Credit.objects.create(
                organisation_id=claim.organisation_id,
                subscription=subscription,
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
        enqueue_with_commit("guichet.billing.tasks.send_claim_decision", claim.pk)
    return claim


def _decimal(amount: Decimal | str | None) -> Decimal:
    """The amount an account manager typed; anything that is not a number is NaN (refused, naming it)."""
    try:
        return Decimal(str(amount)) if amount is not None else Decimal("NaN")
    except InvalidOperation:
        return Decimal("NaN")


def _reassess(claim: Claim, subscription: Subscription, now: datetime) -> None:
    """Compute the claim's worth again at its decision (under the subscription's lock), against the claims
    granted by then; what changed since it was filed is said in its computation."""
    assessment = _assess(
        subscription=subscription,
        kind=claim.kind,
        metric=claim.metric,
        ticket=claim.ticket,
        year=claim.year,
        month=claim.month,
        outage_start=claim.outage_start,
        outage_end=claim.outage_end,
        others=Claim.objects.filter(status__in=GRANTED),
        now=now,
        exclude=claim.pk,
    )
    amount = quantize(assessment.amount, claim.currency)
    explanation, explanation_fr = assessment.explanation, assessment.explanation_fr
    if amount != claim.proposed_amount:
        was = f"{quantize(claim.proposed_amount, claim.currency)} {claim.currency}"
        explanation += f" (Computed again when decided; {was} was proposed when it was filed.)"
        explanation_fr += f" (Recalculé à la décision ; {was} était proposé au dépôt.)"
    claim.verified_seconds = assessment.verified
    claim.proposed_amount = amount
    claim.computation, claim.computation_fr = explanation, explanation_fr
