"""Outages in: declared by the NOC, posted by monitoring (Prometheus Alertmanager's webhook), ended,
maintenance announced to the customers' contacts. Availability out: ``monthly`` for one subscription."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from guichet import provider
from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.contracts.models import Subscription
from guichet.contracts.selectors import fee_on_day
from guichet.customers.models import User
from guichet.customers.permissions import is_customer, may_declare_outages
from guichet.customers.selectors import may_act
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.availability import monthly_availability
from guichet.money.credits import Credit, DiscountTier, quality_discount
from guichet.money.intervals import Interval
from guichet.plans.models import QualityObjective

from .explain import Measured
from .models import Cause, Outage, QualityMeasurement, Source


def _staff(actor: User, act: str) -> None:
    """Refuse customers ``act`` ("record measurements"): the refusal names the act refused."""
    if is_customer(actor):
        raise PermissionDenied(f"Only the provider's staff {act}.")


def _noc(actor: User, act: str) -> None:
    """Refuse ``act`` ("declare outages") to all but the NOC, supervisors and admins
    (``permissions.may_declare_outages``): the refusal names the act refused."""
    _staff(actor, act)
    if not may_declare_outages(actor):
        raise PermissionDenied(f"Only the network operations team, supervisors and admins {act}.")


def _audit(actor: User | None, door: Door, action: str, outage: Outage, **changes: Any) -> None:
    """One event per organisation whose lines the outage concerns, naming those lines only (and the outage's
    ticket only to its own organisation): each sees its own in its activity log (an outage can span several
    customers; staff read them all)."""
    ticket = outage.ticket
    lines: dict[int, list[int]] = {}
    for pk, line_organisation in outage.subscriptions.order_by("pk").values_list("pk", "organisation_id"):
        lines.setdefault(line_organisation, []).append(pk)
    groups: list[tuple[int | None, list[int]]] = [*sorted(lines.items())] or [(None, [])]
    for organisation_id, pks in groups:
        said = {**changes, "title": outage.title, "subscriptions": pks}
        if ticket is not None and ticket.organisation_id == organisation_id:
            said["ticket"] = ticket.reference
        record(
            actor=actor,
            door=door,
            action=action,
            target=outage,
            organisation_id=organisation_id,
            changes=said,
            internal=False,
        )


def _check_period(started_at: datetime, ended_at: datetime | None) -> dict[str, str]:
    errors = {}
    for name, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value is not None and value.tzinfo is None:
            errors[name] = "Instants must carry a time zone offset."
    if not errors and ended_at is not None and ended_at <= started_at:
        errors["ended_at"] = "An outage ends after it starts."
    return errors


@transaction.atomic
def outage_declare(
    *,
    actor: User,
    door: Door,
    subscriptions: Iterable[Subscription],
    started_at: datetime,
    ended_at: datetime | None = None,
    cause: str = Cause.INCIDENT,
    title: str,
    description: str = "",
    ticket=None,
) -> Outage:
    """Declare an outage of one or more subscriptions (or plan a maintenance window, then announce it)."""
    _noc(actor, "declare outages")
    subscriptions = list(subscriptions)
    errors = _check_period(started_at, ended_at)
    if cause not in Cause.values:
        errors["cause"] = f"Unknown cause {cause!r}: use {', '.join(Cause.values)}."
    if not subscriptions:
        errors["subscription_ids"] = "Name the subscriptions that were down."
    if not title.strip():
        errors["title"] = "Give the outage a title."
    if cause != Cause.MAINTENANCE and started_at > timezone.now():
        errors["started_at"] = "Only maintenance can be declared ahead."
    if cause == Cause.MAINTENANCE and ended_at is None:
        errors["ended_at"] = "A maintenance window has a planned end."
    if errors:
        raise ValidationError(errors)
    outage = Outage.objects.create(
        cause=cause,
        title=title.strip(),
        description=description,
        started_at=started_at,
        ended_at=ended_at,
        ticket=ticket,
        declared_by=actor,
    )
    outage.subscriptions.set(subscriptions)
    _audit(
        actor,
        door,
        "outage.declared",
        outage,
        cause=cause,
        started_at=started_at,
        ended_at=ended_at,
    )
    return outage


@transaction.atomic
def outage_end(*, actor: User, door: Door, outage: Outage, ended_at: datetime) -> Outage:
    _noc(actor, "end outages")
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    errors = _check_period(outage.started_at, ended_at)
    if errors:
        raise ValidationError(errors)
    outage.ended_at = ended_at
    outage.save(update_fields=["ended_at"])
    _audit(actor, door, "outage.ended", outage, ended_at=ended_at)
    return outage


@transaction.atomic
def outage_update(
    *,
    actor: User,
    door: Door,
    outage: Outage,
    title: str,
    description: str,
    subscriptions: Iterable[Subscription],
) -> Outage:
    """Say more of an outage as it is understood: its title, its description and the subscriptions it
    affects (a line found down later, one wrongly named). Its period changes through ``outage_end``; an
    announced maintenance keeps its lines (the customers were told which)."""
    _noc(actor, "change outages")
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    subscriptions = list(subscriptions)
    errors = {}
    if not title.strip():
        errors["title"] = "Give the outage a title."
    if not subscriptions:
        errors["subscription_ids"] = "Name the subscriptions that were down."
    before = set(outage.subscriptions.values_list("pk", flat=True))
    after = {s.pk for s in subscriptions}
    if outage.announced_at is not None and after != before:
        errors["subscription_ids"] = "This maintenance was announced: its services stay those announced."
    if errors:
        raise ValidationError(errors)
    changes: dict[str, Any] = {}
    if outage.title != title.strip():
        changes["title_before"] = outage.title
    if outage.description != description:
        changes["description"] = description
    outage.title, outage.description = title.strip(), description
    outage.save(update_fields=["title", "description"])
    if after != before:
        outage.subscriptions.set(subscriptions)
        changes["added"], changes["removed"] = sorted(after - before), sorted(before - after)
    _audit(actor, door, "outage.updated", outage, **changes)
    return outage


@transaction.atomic
def maintenance_announce(*, actor: User, door: Door, outage: Outage) -> Outage:
    """Tell the affected organisations' admin and technical contacts of a planned maintenance. Announced at
    least ``GUICHET_MAINTENANCE_NOTICE_HOURS`` before it starts, its window is not downtime."""
    _noc(actor, "announce maintenance")
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.cause != Cause.MAINTENANCE:
        raise ValidationError({"cause": "Only planned maintenance is announced."})
    if outage.announced_at is not None:
        return outage
    outage.announced_at = timezone.now()
    outage.save(update_fields=["announced_at"])
    _audit(actor, door, "outage.maintenance_announced", outage, announced_at=outage.announced_at)
    enqueue_with_commit("guichet.availability.tasks.send_maintenance_notice", outage.pk)
    return outage


def excluded(outage: Outage) -> bool:
    """Whether an outage's window is not downtime: force majeure, or maintenance announced in time."""
    if outage.cause == Cause.FORCE_MAJEURE:
        return True
    if outage.cause == Cause.MAINTENANCE and outage.announced_at is not None:
        notice = timedelta(hours=settings.GUICHET_MAINTENANCE_NOTICE_HOURS)
        return outage.announced_at <= outage.started_at - notice
    return False


def touching(start: datetime, end: datetime) -> Q:
    """The outages that touch ``[start, end)`` (one still going touches everything after its start)."""
    return Q(started_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))


def downtime_windows(
    subscription: Subscription,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    outages: Iterable[Outage] | None = None,
) -> tuple[list[Interval], list[Interval]]:
    """The windows of the subscription's outages that touch ``[start, end)``, as ``(down, excluded)``:
    downtime, and the planned maintenance and force majeure that are not (``excluded``). An outage still
    going runs until ``now``. Availability and claims both read the records through here. ``outages``: those
    outages already read (``touching``), for a list of subscriptions measured with one query."""
    now = now or timezone.now()
    rows = subscription.outages.filter(touching(start, end)) if outages is None else outages
    down: list[Interval] = []
    holes: list[Interval] = []
    for outage in rows:
        (holes if excluded(outage) else down).append(window(outage, now))
    return down, holes


def window(outage: Outage, now: datetime) -> Interval:
    """The span an outage covers: until its end, or until ``now`` while it lasts."""
    return (outage.started_at, outage.ended_at or max(now, outage.started_at))


def monthly(
    subscription: Subscription,
    year: int,
    month: int,
    now: datetime | None = None,
    outages: Iterable[Outage] | None = None,
    *,
    windows: tuple[list[Interval], list[Interval]] | None = None,
) -> Measured:
    """The subscription's availability over a calendar month of the provider's time zone, on the days it was
    subscribed; an outage still going counts until now. ``outages``: as for ``downtime_windows``;
    ``windows``: the month's ``(down, excluded)`` already read for several subscriptions at once
    (``selectors.organisation_month``). Without either, the outages are read here."""
    tz = provider.zone()
    now = now or timezone.now()
    first = subscription.start_date
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    until = None
    # A last day of 9999-12-31 (typed in the admin) has no next day: the service simply never ends.
    if subscription.end_date is not None and subscription.end_date < date.max:
        last = subscription.end_date + timedelta(days=1)
        until = datetime(last.year, last.month, last.day, tzinfo=tz)
    month_start = datetime(year, month, 1, tzinfo=tz)
    next_month = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    down, holes = (
        windows
        if windows is not None
        else downtime_windows(subscription, month_start, next_month, now, outages)
    )
    result = monthly_availability(
        year=year,
        month=month,
        tz=tz,
        outages=down,
        excluded=holes,
        active_from=start,
        active_until=min(until, now) if until else now,
        guarantee=subscription.plan.availability_guarantee,
    )
    return Measured.of(result)


# ------------------------------------------------------------------------------------ monitoring


def _subscription_for(labels: dict[str, str]) -> Subscription | None:
    key = labels.get("guichet_subscription") or labels.get("subscription") or ""
    qs = Subscription.objects.exclude(status="terminated")
    if key.isdigit():
        found = qs.filter(pk=int(key)).first()
        if found is not None:
            return found
    return qs.filter(identifier=key).first() if key else None


def _instant(value: str | None) -> datetime | None:
    """An alert's instant, or None: Alertmanager's "no end yet", or no instant the database can store (not
    in the calendar like 2026-02-30, no offset, or not expressible in UTC like 9999-12-31T23:00-10:00)."""
    if not value or value.startswith("0001-01-01"):  # Alertmanager's "no end yet"
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None or parsed.tzinfo is None:
            return None
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed


MONITORING_ONLY = (
    "Only the provider's monitoring posts alerts: a staff token with the monitoring permission "
    "(guichet createtoken USERNAME --alerts)."
)


def alertmanager_ingest(payload: dict[str, Any], *, actor: User, can_post_alerts: bool) -> dict[str, int]:
    """Prometheus Alertmanager's webhook (version 4): a firing alert opens an outage of the subscription named
    by its ``guichet_subscription`` (or ``subscription``) label — an id or an identifier — and its resolution
    ends it. Idempotent: Alertmanager resends alerts; each is one outage, keyed by fingerprint and start.

    Alerts carry their own instants and become downtime (credits), so only the monitoring system posts them:
    a token with the monitoring permission (``ApiToken.can_post_alerts``) of a member of staff who may act.
    Any other staff token, an admin's included, is refused."""
    if not (can_post_alerts and may_act(actor) and actor.is_provider_staff):
        raise PermissionDenied(MONITORING_ONLY)
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise ValidationError({"alerts": "Expected Alertmanager's webhook payload with a list of alerts."})
    counts = {"opened": 0, "ended": 0, "ignored": 0}
    for alert in alerts:
        labels = alert.get("labels") or {}
        annotations = alert.get("annotations") or {}
        started = _instant(alert.get("startsAt"))
        subscription = _subscription_for(labels)
        if subscription is None or started is None:
            counts["ignored"] += 1
            continue
        key = f"alertmanager:{alert.get('fingerprint') or labels.get('alertname', '')}:{started.isoformat()}"
        ended = _instant(alert.get("endsAt")) if alert.get("status") == "resolved" else None
        with transaction.atomic():
            outage = Outage.objects.select_for_update().filter(external_key=key).first()
            if outage is None:
                try:
                    with transaction.atomic():
                        outage = Outage.objects.create(
                            cause=Cause.INCIDENT,
                            source=Source.MONITORING,
                            title=annotations.get("summary") or labels.get("alertname", "Alert"),
                            description=annotations.get("description", ""),
                            started_at=started,
                            ended_at=ended,
                            external_key=key,
                        )
                except IntegrityError:  # the same alert posted twice at once
                    counts["ignored"] += 1
                    continue
                outage.subscriptions.add(subscription)
                _audit(None, Door.SYSTEM, "outage.declared", outage, source="monitoring", started_at=started)
                counts["opened"] += 1
            if ended is not None and outage.ended_at is None and ended > outage.started_at:
                outage.ended_at = ended
                outage.save(update_fields=["ended_at"])
                _audit(None, Door.SYSTEM, "outage.ended", outage, ended_at=ended)
                counts["ended"] += 1
    return counts


# ------------------------------------------------------------------------------------------- quality


@transaction.atomic
def measurement_record(
    *, actor: User, door: Door, subscription: Subscription, metric: str, year: int, month: int, value: Decimal
) -> QualityMeasurement:
    """Record (or correct) a subscription's measure of a metric for a month; the plan must have an objective
    for that metric."""
    _staff(actor, "record quality measurements")
    objective = subscription.plan.quality_objectives.filter(metric=metric).first()
    if objective is None:
        names = ", ".join(subscription.plan.quality_objectives.values_list("metric", flat=True)) or "none"
        raise ValidationError(
            {"metric": f"The {subscription.plan.name} plan has no {metric!r} objective: {names}."}
        )
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    measurement, _ = QualityMeasurement.objects.update_or_create(
        subscription=subscription,
        metric=metric,
        year=year,
        month=month,
        defaults={"value": value, "recorded_by": actor, "recorded_at": timezone.now()},
    )
    record(
        actor=actor,
        door=door,
        action="quality.measured",
        target=subscription,
        organisation_id=subscription.organisation_id,
        changes={"metric": metric, "month": f"{year}-{month:02d}", "value": str(value)},
    )
    return measurement


def quality(
    subscription: Subscription, metric: str, year: int, month: int
) -> tuple[QualityObjective, QualityMeasurement | None, Credit | None]:
    """The plan's objective for ``metric``, the month's measure (if any) and the discount it gives."""
    objective = subscription.plan.quality_objectives.filter(metric=metric).first()
    if objective is None:
        raise ValidationError({"metric": f"The {subscription.plan.name} plan has no {metric!r} objective."})
    measure = subscription.measurements.filter(metric=metric, year=year, month=month).first()
    if measure is None:
        return objective, None, None
    discount = quality_discount(
        monthly_fee=fee_on_day(subscription, date(year, month, 1)),
        currency=subscription.currency,
        objective=objective.objective,
        measured=measure.value,
        tiers=[DiscountTier(Decimal(str(a)), Decimal(str(b))) for a, b in objective.tiers],
        higher_is_worse=objective.higher_is_worse,
        unit=objective.unit,
    )
    return objective, measure, discount
