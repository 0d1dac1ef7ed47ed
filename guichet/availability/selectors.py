"""Reads of outages for the console: the ones going on, the maintenance to come, the recent ones, and who a
maintenance notice mails. Every list starts from the subscriptions the reader may see."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from guichet.contracts.selectors import subscriptions_visible_to
from guichet.customers.models import Contact, ContactRole, User
from guichet.errors import NotFound

from .models import Outage

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
