"""Reads of outages and availability for pages: an organisation's month at once, in one query whatever the
number of its services and outages (the console's context panel beside a ticket)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from guichet import provider
from guichet.contracts.models import Subscription
from guichet.money.intervals import Interval

from .explain import Measured
from .models import Outage
from .services import excluded, monthly, window


@dataclass(frozen=True)
class ServiceMonth:
    """One subscription's availability this month."""

    subscription: Subscription
    measured: Measured


@dataclass(frozen=True)
class OutageNow:
    """An outage going on now, with the subscriptions of the organisation it touches."""

    outage: Outage
    subscriptions: list[Subscription] = field(default_factory=list)


@dataclass(frozen=True)
class OrganisationMonth:
    touched: list[ServiceMonth]  # the subscriptions an outage touched this month, the least available first
    current: list[OutageNow]  # outages started and not ended, the oldest first


def organisation_month(subscriptions: QuerySet[Subscription], now: datetime) -> OrganisationMonth:
    """This provider month's availability of those of ``subscriptions`` (a scoped queryset, e.g. one
    organisation's) an outage touched — the others were fully available — and the outages going on now.

    One query: the outage-subscription links of the month with their outage, service and plan; the
    arithmetic is ``services.monthly``'s on the windows read here."""
    local = provider.local(now)
    start, end = provider.month(local.year, local.month)
    links = (
        Outage.subscriptions.through.objects.filter(
            subscription__in=subscriptions, outage__started_at__lt=end
        )
        .filter(Q(outage__ended_at__isnull=True) | Q(outage__ended_at__gt=start))
        .select_related("outage", "subscription__service", "subscription__plan")
        .order_by("outage__started_at", "pk")
    )
    windows: dict[int, tuple[list[Interval], list[Interval]]] = defaultdict(lambda: ([], []))
    by_id: dict[int, Subscription] = {}
    current: dict[int, OutageNow] = {}
    for link in links:
        outage, subscription = link.outage, link.subscription
        by_id[subscription.pk] = subscription
        down, holes = windows[subscription.pk]
        (holes if excluded(outage) else down).append(window(outage, now))
        if outage.started_at <= now and (outage.ended_at is None or outage.ended_at > now):
            current.setdefault(outage.pk, OutageNow(outage)).subscriptions.append(subscription)
    touched = [
        ServiceMonth(s, monthly(s, local.year, local.month, now, windows=windows[pk]))
        for pk, s in by_id.items()
    ]
    touched.sort(key=lambda row: (row.measured.percent, row.subscription.pk))
    return OrganisationMonth(touched=touched, current=list(current.values()))
