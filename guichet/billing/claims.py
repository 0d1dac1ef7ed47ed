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

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext

from guichet import provider
from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.availability.services import downtime_windows, monthly, quality
from guichet.contracts.models import Subscription
from guichet.contracts.selectors import fee_on_day
from guichet.customers.models import User
from guichet.customers.permissions import is_customer, may_decide_claims
from guichet.customers.selectors import acting_contact
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.amounts import minor_unit, quantize
from guichet.money.credits import DowntimeTerms, QualityTerms, downtime_credit
from guichet.money.intervals import clip, subtract, total_seconds
from guichet.tickets.models import Category, Clock, Ticket

from . import explain, notices
from .models import Claim, Credit, CreditKind

Status = Claim.Status
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
        errors["customer_name"] = gettext("Give the customer's name.")
    if not (customer_contact or "").strip():
        errors["customer_contact"] = gettext("Give a contact (mail address or phone number) for the answer.")
    for field, value, missing in (
        ("outage_start", outage_start, gettext("Give the start of the outage.")),
        ("outage_end", outage_end, gettext("Give the end of the outage.")),
    ):
        if value is None:
            errors[field] = missing
        elif value.tzinfo is None:
            errors[field] = gettext("Instants must carry a time zone offset.")
        else:
            try:
                value.astimezone(UTC)  # stored in UTC: 0001-01-01 00:00 at +09:00 would be in year 0
            except OverflowError:
                errors[field] = gettext("This instant is out of range.")
    if not (ticket or "").strip():
        errors["ticket"] = gettext("Give the number of the ticket of the outage.")
    if not (description or "").strip():
        errors["description"] = gettext("Describe the outage briefly.")
    return errors


@dataclass(frozen=True)
class _Checked:
    """A valid claim: the claimed month, the ticket found, the quality metric (if any) and what the customer
    wrote, trimmed."""

    year: int
    month: int
    ticket: Ticket
    metric: str
    customer_name: str
    customer_contact: str
    outage_start: datetime
    outage_end: datetime
    description: str


def check_claimant(actor: User, subscription: Subscription) -> None:
    """A customer claims for its own organisation's subscriptions only (staff for any)."""
    contact = acting_contact(actor)
    if is_customer(actor) and (contact is None or contact.organisation_id != subscription.organisation_id):
        raise PermissionDenied(gettext("You can only claim for your organisation's subscriptions."))


def check_kind(subscription: Subscription, kind: str, metric: str | None) -> tuple[dict[str, str], str]:
    """The errors of ``kind`` and ``metric``, and the metric meant (the plan's only one when none is said)."""
    errors = {}
    if kind not in CreditKind.values:
        errors["kind"] = gettext("Unknown kind %(kind)s: use %(kinds)s.") % {
            "kind": repr(kind),
            "kinds": ", ".join(CreditKind.values),
        }
    metric = (metric or "").strip()
    if kind == CreditKind.QUALITY:
        metrics = list(subscription.plan.quality_objectives.values_list("metric", flat=True))
        if not metrics:
            errors["kind"] = gettext("The %(plan)s plan has no quality objective.") % {
                "plan": subscription.plan.name
            }
        elif not metric and len(metrics) == 1:
            metric = metrics[0]
        elif metric not in metrics:
            errors["metric"] = gettext("Say which objective was missed: %(metrics)s.") % {
                "metrics": ", ".join(metrics)
            }
    return errors, metric


def check_ticket(
    subscription: Subscription, kind: str, ticket: str | None
) -> tuple[dict[str, str], Ticket | None]:
    """The ticket named, of the subscription's organisation (an incident for a late resolution)."""
    found = Ticket.objects.filter(
        reference=(ticket or "").strip(), organisation=subscription.organisation
    ).first()
    if found is None:
        return {
            "ticket": gettext("%(ticket)s is not a ticket of %(organisation)s.")
            % {"ticket": ticket, "organisation": subscription.organisation.name}
        }, None
    if kind == CreditKind.RESOLUTION and found.category != Category.INCIDENT:
        return {
            "ticket": gettext("%(ticket)s is not an incident: only incidents' resolution times are credited.")
            % {"ticket": found.reference}
        }, found
    return {}, found


def check_period(claimed: tuple[int, int], outage_start: datetime, outage_end: datetime) -> dict[str, str]:
    """The outage ends after it starts and touches the claimed month."""
    month_start, month_end = provider.month(claimed[0], claimed[1])
    if outage_end <= outage_start:
        return {"outage_end": gettext("The outage's end must come after its start.")}
    if outage_end <= month_start or outage_start >= month_end:
        return {
            "outage_start": gettext("The claim is for %(month)s: the outage must fall in it.")
            % {"month": f"{claimed[0]}-{claimed[1]:02d}"}
        }
    return {}


def check_claim(
    *,
    subscription: Subscription,
    kind: str,
    metric: str | None,
    customer_name: str | None,
    customer_contact: str | None,
    outage_start: datetime | None,
    outage_end: datetime | None,
    ticket: str | None,
    description: str | None,
    now: datetime,
) -> _Checked:
    """Every part of a claim checked at once: a ``ValidationError`` names each field that is wrong."""
    errors = _parse_errors(
        customer_name=customer_name,
        customer_contact=customer_contact,
        outage_start=outage_start,
        outage_end=outage_end,
        ticket=ticket,
        description=description,
    )
    kind_errors, metric = check_kind(subscription, kind, metric)
    errors |= kind_errors
    claimed = provider.claimable_month(now)
    if claimed is None:
        errors["filed_at"] = provider.claim_window_message()
    found = None
    if "ticket" not in errors:
        ticket_errors, found = check_ticket(subscription, kind, ticket)
        errors |= ticket_errors
    if (
        claimed is not None
        and outage_start
        and outage_end
        and not {"outage_start", "outage_end"} & errors.keys()
    ):
        errors |= check_period(claimed, outage_start, outage_end)
    if errors:
        raise ValidationError(errors)
    assert claimed is not None and found is not None and outage_start and outage_end
    return _Checked(
        year=claimed[0],
        month=claimed[1],
        ticket=found,
        metric=metric,
        customer_name=(customer_name or "").strip(),
        customer_contact=(customer_contact or "").strip(),
        outage_start=outage_start,
        outage_end=outage_end,
        description=(description or "").strip(),
    )


def claim_file(
    *,
    actor: User,
    door: Door,
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
    check_claimant(actor, subscription)
    now = timezone.now()
    checked = check_claim(
        subscription=subscription,
        kind=kind,
        metric=metric,
        customer_name=customer_name,
        customer_contact=customer_contact,
        outage_start=outage_start,
        outage_end=outage_end,
        ticket=ticket,
        description=description,
        now=now,
    )
    return _file(actor=actor, door=door, subscription=subscription, kind=kind, checked=checked, now=now)


@transaction.atomic
def _file(
    *, actor: User, door: Door, subscription: Subscription, kind: str, checked: _Checked, now: datetime
) -> Claim:
    """Assess and keep a checked claim, trace it and tell the account manager, in one transaction."""
    # The subscription's row serialises the claims and decisions of the service: the cap is per service and
    # month, and an overlap is judged against the claims already there.
    subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=subscription.pk)
    assessment = _assess(
        subscription=subscription,
        kind=kind,
        metric=checked.metric,
        ticket=checked.ticket,
        year=checked.year,
        month=checked.month,
        outage_start=checked.outage_start,
        outage_end=checked.outage_end,
        others=Claim.objects.filter(status__in=LIVE),
        now=now,
    )
    claim = _create(
        Claim(
            organisation=subscription.organisation,
            subscription=subscription,
            ticket=checked.ticket,
            kind=kind,
            metric=checked.metric,
            year=checked.year,
            month=checked.month,
            customer_name=checked.customer_name,
            customer_contact=checked.customer_contact,
            outage_start=checked.outage_start,
            outage_end=checked.outage_end,
            description=checked.description,
            filed_by=actor,
            filed_at=now,
            door=door,
            verified_seconds=assessment.verified,
            proposed_amount=assessment.amount,
            currency=subscription.currency,
            computation_terms=assessment.parts,
        )
    )
    _record_filed(actor, door, claim)
    notices.claim_filed(claim=claim, at=now)  # the account manager hears (mailed once this commits)
    return claim


def _create(claim: Claim) -> Claim:
    """Insert the claim; a live claim of the same ticket, service and month is named instead."""
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {
                "ticket": gettext("A claim for %(ticket)s on this subscription for %(month)s exists already.")
                % {"ticket": claim.ticket.reference, "month": f"{claim.year}-{claim.month:02d}"}
            }
        ) from None
    return claim


def _record_filed(actor: User, door: Door, claim: Claim) -> None:
    record(
        actor=actor,
        door=door,
        action="claim.filed",
        target=claim,
        organisation_id=claim.organisation_id,
        changes={
            "subscription": claim.subscription_id,
            "ticket": claim.ticket.reference,
            "month": f"{claim.year}-{claim.month:02d}",
            "verified_seconds": claim.verified_seconds,
            "proposed": f"{claim.proposed_amount} {claim.currency}",
        },
    )


@dataclass(frozen=True)
class _Assessment:
    """What a claim is worth now: the seconds the records confirm and no other claim covers, the amount
    (after the guarantee, the overlap and the monthly cap) and how it was reached, as the parts of its
    computation (``billing.explain`` words them)."""

    verified: int
    amount: Decimal
    parts: list[explain.Part]


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
    others: QuerySet[Claim],
    now: datetime,
    exclude: int | None = None,
) -> _Assessment:
    """The claim's worth against the records and against ``others`` (a queryset of claims: the live ones when
    it is filed, the granted ones when it is decided). Called under the subscription's lock."""
    if exclude is not None:  # the claim being decided is not another claim
        others = others.exclude(pk=exclude)
    if kind == CreditKind.QUALITY:
        return _quality_proposal(subscription, metric, year, month, others)
    month_start, month_end = provider.month(year, month)
    start, end = max(outage_start, month_start), min(outage_end, month_end)
    if kind == CreditKind.RESOLUTION:
        confirmed = _verified_lateness(ticket, start, end)
        return _proposal(subscription, year, month, explain.confirmed(confirmed), confirmed, start)
    down, holes = downtime_windows(subscription, start, end, now)
    windows = clip(subtract(down, holes), start=start, end=end)  # maintenance and force majeure out
    confirmed = total_seconds(windows)
    # Two claims of the same outage (say, with two tickets) count its time once: what another claim of the
    # service's month already covers is taken out.
    overlapping = list(
        others.filter(
            subscription=subscription,
            kind=CreditKind.DOWNTIME,
            year=year,
            month=month,
            outage_start__lt=end,
            outage_end__gt=start,
        ).order_by("pk")
    )
    counted = total_seconds(subtract(windows, [(c.outage_start, c.outage_end) for c in overlapping]))
    first = explain.confirmed(
        confirmed, overlap=[c.pk for c in overlapping] if counted < confirmed else (), counted=counted
    )
    measured = monthly(subscription, year, month, now=now)
    if measured.met:
        # Policy 004: credits are owed only "si la disponibilité de notre service tombe en dessous du niveau
        # de disponibilité garanti". A month that met its guarantee owes nothing, whatever was down in it.
        return _Assessment(
            verified=counted,
            amount=quantize(Decimal(0), subscription.currency),
            parts=[first, explain.guarantee_met(measured)],
        )
    return _proposal(subscription, year, month, first, counted, start)


def _proposal(
    subscription: Subscription,
    year: int,
    month: int,
    first: explain.Part,
    verified: int,
    start: datetime,
) -> _Assessment:
    plan = subscription.plan
    rate, cap = plan.credit_rate_per_hour, plan.monthly_credit_cap
    if rate is None:
        return _Assessment(
            verified=verified, amount=Decimal(0), parts=[first, explain.no_plan_credit(plan.name)]
        )
    credit = downtime_credit(
        monthly_fee=_fee_on(subscription, start),
        currency=subscription.currency,
        rate_percent_per_hour=rate,
        down_seconds=verified,
        cap_percent=cap,
        already_credited=credited(subscription, year, month),
    )
    assert isinstance(credit.terms, DowntimeTerms)
    return _Assessment(
        verified=verified, amount=credit.amount, parts=[first, explain.downtime_credit(credit.terms)]
    )


def _quality_proposal(
    subscription: Subscription,
    metric: str,
    year: int,
    month: int,
    others: QuerySet[Claim],
) -> _Assessment:
    _, measure, discount = quality(subscription, metric, year, month)
    if measure is None or discount is None:
        return _Assessment(verified=0, amount=Decimal(0), parts=[explain.no_measure(metric, year, month)])
    assert isinstance(discount.terms, QualityTerms)
    # One discount per objective and month, whatever the number of claims (or tickets) that ask for it.
    earlier = [
        claim.pk
        for claim in others.filter(
            subscription=subscription, kind=CreditKind.QUALITY, metric=metric, year=year, month=month
        ).order_by("pk")
    ]
    if earlier and discount.amount:
        return _Assessment(
            verified=0,
            amount=quantize(Decimal(0), subscription.currency),
            parts=[explain.quality(year, month, discount.terms, earlier=earlier)],
        )
    return _Assessment(
        verified=0, amount=discount.amount, parts=[explain.quality(year, month, discount.terms)]
    )


def check_decider(actor: User) -> None:
    if not may_decide_claims(actor):
        raise PermissionDenied(gettext("Only account managers, supervisors and admins decide claims."))


def check_decision(decision: str, reason: str) -> dict[str, str]:
    """The errors of the decision itself, before anything is read: its name, and a reason when one is owed."""
    errors = {}
    if decision not in ("approve", "partial", "reject"):
        errors["decision"] = gettext("Use approve, partial or reject.")
    if decision in ("partial", "reject") and not reason.strip():
        errors["reason"] = gettext("Say why: the customer reads it.")
    return errors


def check_undecided(claim: Claim) -> None:
    if claim.status != Status.FILED:
        status = claim.get_status_display().lower()
        raise ValidationError(
            {"claim": gettext("This claim was already decided (%(status)s).") % {"status": status}}
        )


def check_grant(claim: Claim, decision: str, amount: Decimal | str | None, errors: dict[str, str]) -> Decimal:
    """The amount granted (its errors added to ``errors``): the proposed amount for an approval, which must
    leave something to credit; for a partial approval, more than 0 and less than proposed, in the currency's
    decimals."""
    if decision == "approve":
        if not claim.proposed_amount and "decision" not in errors:
            errors["decision"] = gettext(
                "Nothing is left to credit: %(computation)s Reject the claim, saying why."
            ) % {"computation": claim.computation_in(get_language())}
        return claim.proposed_amount
    if decision != "partial":
        return Decimal(0)
    granted = _decimal(amount)
    if not (granted.is_finite() and Decimal(0) < granted < claim.proposed_amount):
        errors["amount"] = gettext(
            "A partial approval is more than 0 and less than the proposed %(amount)s."
        ) % {"amount": f"{claim.proposed_amount} {claim.currency}"}
    elif -granted.as_tuple().exponent > minor_unit(claim.currency):  # type: ignore[operator]
        errors["amount"] = gettext("%(currency)s amounts have at most %(decimals)s decimals.") % {
            "currency": claim.currency,
            "decimals": minor_unit(claim.currency),
        }
    return granted


def claim_decide(
    *,
    actor: User,
    door: Door,
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
    check_decider(actor)
    errors = check_decision(decision, reason)
    with transaction.atomic():
        # The subscription first, then the claim: the order claim_file locks in too.
        subscription = (
            Subscription.objects.select_for_update().select_related("plan").get(pk=claim.subscription_id)
        )
        claim = Claim.objects.select_for_update().select_related("ticket").get(pk=claim.pk)
        check_undecided(claim)
        now = timezone.now()
        if decision in ("approve", "partial"):
            _reassess(claim, subscription, now)
        granted = check_grant(claim, decision, amount, errors)
        if errors:
            raise ValidationError(errors)
        _decide(claim, subscription, actor=actor, decision=decision, granted=granted, reason=reason, now=now)
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


def _decide(
    claim: Claim,
    subscription: Subscription,
    *,
    actor: User,
    decision: str,
    granted: Decimal,
    reason: str,
    now: datetime,
) -> None:
    """Write the decision on the claim and, for an approval, the credit it gives."""
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
            "computation_terms",
        ]
    )
    if not claim.approved_amount:
        return
    parts = list(claim.computation_terms)
    if decision != "approve":
        parts.append(explain.approved_in_part(claim.approved_amount, claim.currency))
    Credit.objects.create(
        organisation_id=claim.organisation_id,
        subscription=subscription,
        claim=claim,
        kind=claim.kind,
        year=claim.year,
        month=claim.month,
        amount=claim.approved_amount,
        currency=claim.currency,
        explanation_terms=parts,
        created_at=now,
    )


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
    parts = list(assessment.parts)
    if amount != claim.proposed_amount:
        parts.append(explain.recomputed(quantize(claim.proposed_amount, claim.currency), claim.currency))
    claim.verified_seconds = assessment.verified
    claim.proposed_amount = amount
    claim.computation_terms = parts
