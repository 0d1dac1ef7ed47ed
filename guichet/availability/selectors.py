"""Reads of outages and availability for pages, each starting from what the reader may see: the outages
going on, the maintenance to come, the recent ones and who a maintenance notice mails (the console's
outage screens); an organisation's month at once, in one query whatever the number of its services and
outages (the console's context panel beside a ticket)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from guichet import provider
from guichet.contracts.models import Subscription
from guichet.contracts.selectors import subscriptions_visible_to
from guichet.customers.models import Contact, ContactRole, User
from guichet.errors import NotFound
from guichet.money.intervals import Interval

from .explain import Measured
from .models import Outage
from .services import excluded, monthly, window

RECENT = timedelta(days=30)
LIMIT = 50  # rows per list: a page stays one screen and fast (bench/pages.py)


def outages_visible_to(user: User) -> QuerySet[Outage]:
    """The outages of at least one subscription ``user`` may see (none at all for a foreign one)."""
    visible = subscriptions_visible_to(user).values("pk")
    ids = Outage.subscriptions.through.objects.filter(subscription_id__in=visible).values("outage_id")
    return Outage.objects.filter(pk__in=ids)


def outage_board(user: User, now: datetime) -> dict[str, list[Outage]]:
    """Three lists: going on now (started, not over), maintenance planned ahead, and the outages over in
    the last 30 days; each with its subscriptions (and their services and organisations) in two queries."""
    rows = (
        outages_visible_to(user)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=now - RECENT))
        .select_related("declared_by", "ticket")
        .prefetch_related("subscriptions__service", "subscriptions__organisation")
        .order_by("-started_at", "-pk")[: LIMIT * 3]
    )
    board: dict[str, list[Outage]] = {"current": [], "planned": [], "recent": []}
    for outage in rows:
        if outage.started_at > now:
            board["planned"].append(outage)
        elif outage.ended_at is None or outage.ended_at > now:
            board["current"].append(outage)
        else:
            board["recent"].append(outage)
    board["planned"].reverse()  # the soonest first
    return {name: found[:LIMIT] for name, found in board.items()}


def outage_get(user: User, pk: int) -> Outage:
    """An outage ``user`` may see, with its subscriptions; NotFound otherwise (foreign or missing)."""
    found = (
        outages_visible_to(user)
        .filter(pk=pk)
        .select_related("declared_by", "ticket")
        .prefetch_related("subscriptions__service", "subscriptions__organisation")
        .first()
    )
    if found is None:
        raise NotFound(f"outage {pk} not found")
    return found


def maintenance_recipients(outage: Outage) -> list[Contact]:
    """Who the notice of a planned maintenance mails: the active admin and technical contacts of the
    organisations whose subscriptions it affects (as ``tasks.send_maintenance_notice`` does)."""
    organisations = outage.subscriptions.values("organisation_id")
    contacts = (
        Contact.objects.filter(organisation_id__in=organisations, is_active=True, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("organisation__name", "pk")
    )
    wanted = (ContactRole.ADMIN, ContactRole.TECHNICAL)
    return [c for c in contacts if any(c.has_role(role) for role in wanted)]


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
    organisation's) an outage touched — the others were fully available — and the outages going on now."""
    local = provider.local(now)
    return month_of(local.year, local.month, now, Q(subscription__in=subscriptions))


def month_of(year: int, month: int, now: datetime, subscriptions: Q) -> OrganisationMonth:
    """The availability in a provider month of the subscriptions an outage touched then (the least available
    first), and those outages still going on now, for the subscriptions ``subscriptions`` selects (a Q on the
    outage-subscription link: ``subscription__in=`` a scoped queryset for the console's context panel;
    ``subscription__plan_id=``, ``subscription__organisation_id=`` or nothing at all for the dashboard, which
    every subscription may concern: at 1,000 subscriptions a subquery of them all costs 10 ms).

    One query: the outage-subscription links of the month with their outage, service and plan; the
    arithmetic is ``services.monthly``'s on the windows read here."""
    start, end = provider.month(year, month)
    links = (
        Outage.subscriptions.through.objects.filter(subscriptions, outage__started_at__lt=end)
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
    touched = [ServiceMonth(s, monthly(s, year, month, now, windows=windows[pk])) for pk, s in by_id.items()]
    touched.sort(key=lambda row: (row.measured.percent, row.subscription.pk))
    return OrganisationMonth(touched=touched, current=list(current.values()))
