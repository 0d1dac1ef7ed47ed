"""Outages and availability: the NOC declares outages and maintenance, monitoring posts alerts, everyone
reads the monthly availability of the subscriptions they can see."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from ninja import Body, Query, Router, Schema, Status
from pydantic import Field

from guichet import provider
from guichet.audit.models import Door
from guichet.availability import explain, services
from guichet.availability.models import Outage
from guichet.contracts.selectors import subscription_get, subscriptions_visible_to
from guichet.errors import NotFound, ValidationError
from guichet.tickets.selectors import ticket_get

from .auth import can_post_alerts, staff_only
from .tickets import STRICT
from .types import Id, Instant

router = Router(tags=["availability"])


class OutageOut(Schema):
    id: int
    cause: str
    source: str
    title: str
    description: str
    started_at: datetime
    ended_at: datetime | None
    announced_at: datetime | None
    excluded: bool = Field(description="Not downtime: force majeure, or maintenance announced in time.")
    subscription_ids: list[int]
    ticket: str | None


def _out(outage: Outage, visible: set[int] | None = None) -> dict[str, Any]:
    ids = [s.pk for s in outage.subscriptions.all()]
    return {
        "id": outage.pk,
        "cause": outage.cause,
        "source": outage.source,
        "title": outage.title,
        "description": outage.description,
        "started_at": outage.started_at,
        "ended_at": outage.ended_at,
        "announced_at": outage.announced_at,
        "excluded": services.excluded(outage),
        "subscription_ids": [i for i in ids if visible is None or i in visible],
        "ticket": outage.ticket.reference if outage.ticket else None,
    }


def _outage(request, outage_id: int) -> Outage:
    visible = subscriptions_visible_to(request.user)
    outage = (
        Outage.objects.filter(pk=outage_id, subscriptions__in=visible)
        .select_related("ticket")
        .prefetch_related("subscriptions")
        .distinct()
        .first()
    )
    if outage is None:
        raise NotFound(f"outage {outage_id} not found")
    return outage


@router.get("/outages", response=list[OutageOut], summary="Outages of the subscriptions you can see")
def list_outages(request, subscription_id: Id | None = None):
    visible = subscriptions_visible_to(request.user)
    if subscription_id is not None:
        visible = visible.filter(pk=subscription_id)
    ids = set(visible.values_list("pk", flat=True))
    outages = (
        Outage.objects.filter(subscriptions__in=ids)
        .distinct()
        .select_related("ticket")
        .prefetch_related("subscriptions")
        .order_by("-started_at", "-pk")[:200]
    )
    return [_out(o, ids) for o in outages]


class OutageIn(Schema):
    model_config = STRICT
    subscription_ids: list[Id] = Field(min_length=1)
    started_at: Instant
    ended_at: Instant | None = None
    cause: str = "incident"
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    ticket: str | None = Field(None, description="Reference of the incident ticket.")


@router.post("/outages", response={201: OutageOut}, summary="Declare an outage or plan a maintenance (staff)")
def declare(request, payload: OutageIn):
    actor = staff_only(request, "Only the provider's staff declare outages.")
    subscriptions = list(subscriptions_visible_to(actor).filter(pk__in=payload.subscription_ids))
    missing = set(payload.subscription_ids) - {s.pk for s in subscriptions}
    if missing:
        raise ValidationError({"subscription_ids": f"No such subscriptions: {sorted(missing)}."})
    ticket = ticket_get(actor, payload.ticket) if payload.ticket else None
    outage = services.outage_declare(
        actor=actor,
        door=Door.API,
        subscriptions=subscriptions,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        cause=payload.cause,
        title=payload.title,
        description=payload.description,
        ticket=ticket,
    )
    return Status(201, _out(_outage(request, outage.pk)))


class EndIn(Schema):
    model_config = STRICT
    ended_at: Instant


@router.post("/outages/{outage_id}/end", response=OutageOut, summary="Say when an outage ended (staff)")
def end(request, outage_id: Id, payload: EndIn):
    outage = _outage(request, outage_id)
    services.outage_end(actor=request.user, door=Door.API, outage=outage, ended_at=payload.ended_at)
    return _out(_outage(request, outage_id))


@router.post(
    "/outages/{outage_id}/announce",
    response=OutageOut,
    summary="Announce a planned maintenance to the affected contacts (staff)",
)
def announce(request, outage_id: Id):
    outage = _outage(request, outage_id)
    services.maintenance_announce(actor=request.user, door=Door.API, outage=outage)
    return _out(_outage(request, outage_id))


ALERTS = Body[dict[str, Any]]  # Alertmanager's own format, read as it comes (services check it)


class AlertmanagerOut(Schema):
    opened: int
    ended: int
    ignored: int


@router.post(
    "/outages/alertmanager",
    response=AlertmanagerOut,
    summary="Prometheus Alertmanager's webhook: firing alerts open outages, resolved ones end them",
)
def alertmanager(request, payload: ALERTS):
    return services.alertmanager_ingest(payload, actor=request.user, can_post_alerts=can_post_alerts(request))


class AvailabilityOut(Schema):
    subscription_id: int
    year: int
    month: int
    period_seconds: int
    down_seconds: int
    percent: str
    guarantee: str | None
    met: bool | None
    explanation: str


@router.get(
    "/subscriptions/{subscription_id}/availability",
    response=AvailabilityOut,
    summary="A subscription's availability over one calendar month (provider's time zone)",
)
def availability(
    request,
    subscription_id: Id,
    year: int | None = Query(None, ge=2000, le=2100),
    month: int | None = Query(None, ge=1, le=12),
):
    """By default the current month, so far."""
    subscription = subscription_get(request.user, subscription_id)
    if year is None or month is None:
        today = provider.today()
        year, month = today.year, today.month
    result = services.monthly(subscription, year, month)
    return {
        "subscription_id": subscription.pk,
        "year": year,
        "month": month,
        "period_seconds": result.period_seconds,
        "down_seconds": result.down_seconds,
        "percent": str(result.percent),
        "guarantee": str(result.guarantee) if result.guarantee is not None else None,
        "met": result.met,
        "explanation": explain.availability(result),
    }


class MeasurementIn(Schema):
    model_config = STRICT
    metric: str = Field(min_length=1, max_length=40)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    value: Decimal = Field(max_digits=12, decimal_places=3)


class QualityOut(Schema):
    subscription_id: int
    metric: str
    unit: str
    month: str
    objective: str
    measured: str | None
    discount: str | None = Field(description="The share of the month's fee credited if claimed.")
    currency: str
    explanation: str


def _quality(subscription, metric: str, year: int, month: int) -> dict[str, Any]:
    objective, measure, discount = services.quality(subscription, metric, year, month)
    return {
        "subscription_id": subscription.pk,
        "metric": metric,
        "unit": objective.unit,
        "month": f"{year}-{month:02d}",
        "objective": f"{objective.objective.normalize():f}",
        "measured": f"{measure.value.normalize():f}" if measure else None,
        "discount": str(discount.amount) if discount else None,
        "currency": subscription.currency,
        "explanation": explain.credit(discount)
        if discount
        else gettext("No measure of %(metric)s for %(month)s yet.")
        % {"metric": metric, "month": f"{year}-{month:02d}"},
    }


@router.post(
    "/subscriptions/{subscription_id}/measurements",
    response={201: QualityOut},
    summary="Record a month's measure of a quality metric (staff, monitoring)",
)
def record_measurement(request, subscription_id: Id, payload: MeasurementIn):
    subscription = subscription_get(request.user, subscription_id)
    services.measurement_record(
        actor=request.user, door=Door.API, subscription=subscription, **payload.dict()
    )
    return Status(201, _quality(subscription, payload.metric, payload.year, payload.month))


@router.get(
    "/subscriptions/{subscription_id}/quality",
    response=QualityOut,
    summary="A month's measure of a metric against the plan's objective, and the discount it gives",
)
def get_quality(
    request,
    subscription_id: Id,
    metric: str | None = None,
    year: int | None = Query(None, ge=2000, le=2100),
    month: int | None = Query(None, ge=1, le=12),
):
    """By default the plan's first objective and the current month."""
    subscription = subscription_get(request.user, subscription_id)
    if metric is None:
        first = subscription.plan.quality_objectives.first()
        if first is None:
            raise ValidationError({"metric": f"The {subscription.plan.name} plan has no quality objective."})
        metric = first.metric
    if year is None or month is None:
        today = provider.today()
        year, month = today.year, today.month
    return _quality(subscription, metric, year, month)
