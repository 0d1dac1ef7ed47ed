"""Reads of tickets, always scoped to who is asking."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from guichet.customers.models import User

from .errors import NotFound
from .models import Ticket


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Customers see their organisation's tickets; agents and billing staff their teams' queues and what is
    assigned to them; account managers also their organisations'; supervisors and admins everything."""
    qs = Ticket.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    kind = user.kind
    if kind == User.Kind.CUSTOMER:
        contact = getattr(user, "contact", None)
        if contact is None or not contact.is_active:
            return qs.none()
        return qs.filter(organisation_id=contact.organisation_id)
    if kind in (User.Kind.SUPERVISOR, User.Kind.ADMIN):
        return qs
    team_ids = list(user.teams.values_list("pk", flat=True))
    scope = Q(team_id__in=team_ids) | Q(assignee=user)
    if kind == User.Kind.ACCOUNT_MANAGER:
        scope |= Q(organisation__account_manager=user)
    return qs.filter(scope)


def ticket_get(user: User, key: str | int) -> Ticket:
    """A ticket by reference (GT-2026-000123) or id, if ``user`` may see it; NotFound otherwise (a foreign
    ticket and a missing one look the same)."""
    qs = tickets_visible_to(user).select_related("organisation", "requester", "plan", "team", "assignee")
    key = str(key)
    ticket = (
        qs.filter(reference=key).first()
        if key.startswith("GT-")
        else (qs.filter(pk=int(key)).first() if key.isdigit() else None)
    )
    if ticket is None:
        raise NotFound(f"ticket {key} not found")
    return ticket


def queue(
    user: User,
    *,
    statuses=None,
    team_id=None,
    priority=None,
    category=None,
    organisation_id=None,
    breached=None,
    mine=False,
) -> QuerySet[Ticket]:
    """The tickets ``user`` works on, ordered by the next due instant (no deadline last)."""
    from django.db.models import F

    qs = tickets_visible_to(user)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if priority:
        qs = qs.filter(priority=priority)
    if category:
        qs = qs.filter(category=category)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if mine:
        qs = qs.filter(assignee=user)
    if breached is True:
        qs = qs.filter(clocks__state="breached").distinct()
    return qs.order_by(F("next_due_at").asc(nulls_last=True), "id")


DUPLICATE_THRESHOLD = 0.3
DUPLICATE_WINDOW_DAYS = 30
DUPLICATE_CANDIDATES = 100


def similar_open_tickets(
    organisation_id: int, subject: str, description: str, *, exclude_id: int | None = None, limit: int = 5
) -> list[tuple[Ticket, float]]:
    """The organisation's recent open tickets that look like the same problem, best first.

    Scores the 100 most recent open tickets of the last 30 days (one query, their first message fetched by a
    subquery); ``guichet.text.similarity`` does the comparing, on the subject and the body's beginning.
    """
    from datetime import timedelta

    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from guichet.text.similarity import similarity

    from .models import OPEN_STATUSES, TicketMessage

    first_body = (
        TicketMessage.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "pk").values("body")[:1]
    )
    candidates = (
        Ticket.objects.filter(
            organisation_id=organisation_id,
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            opened_at__gte=timezone.now() - timedelta(days=DUPLICATE_WINDOW_DAYS),
        )
        .exclude(pk=exclude_id)
        .annotate(first_body=Subquery(first_body))
        .order_by("-opened_at")[:DUPLICATE_CANDIDATES]
    )
    scored = [(t, similarity(subject, description, t.subject, t.first_body or "")) for t in candidates]
    scored = [(t, s) for t, s in scored if s >= DUPLICATE_THRESHOLD]
    scored.sort(key=lambda pair: (-pair[1], -pair[0].opened_at.timestamp()))
    return scored[:limit]
