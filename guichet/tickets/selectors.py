"""Reads of tickets, always scoped to who is asking."""

from __future__ import annotations

import functools
import operator
import threading
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from guichet.businesstime.clocks import Segment, explain
from guichet.customers.models import User
from guichet.customers.permissions import is_account_manager, is_customer, may_see_internal, sees_everything
from guichet.customers.selectors import acting_contact, may_act
from guichet.errors import NotFound
from guichet.plans.selectors import business_calendar
from guichet.text.similarity import Fingerprint, fingerprint, score

from . import sla
from .models import OPEN_STATUSES, MessageKind, SlaClock, Status, Ticket, TicketMessage


def _scopes(user: User) -> list[Q]:
    """What ``user`` may see, as alternatives: one Q for customers (their organisation), supervisors and
    admins (everything), several for agents (their teams' tickets; those assigned to them; an account
    manager's organisations). No alternative at all: nothing visible."""
    if not may_act(user):
        return []
    if is_customer(user):
        contact = acting_contact(user)
        return [Q(organisation_id=contact.organisation_id)] if contact is not None else []
    if sees_everything(user):
        return [Q()]
    # The teams as a subquery rather than read first: one round trip less per page.
    scopes = [Q(assignee=user), Q(team_id__in=user.teams.order_by().values("pk"))]
    if is_account_manager(user):
        org_ids = list(user.managed_organisations.values_list("pk", flat=True))
        if org_ids:
            scopes.append(Q(organisation_id__in=org_ids))
    return scopes


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Customers see their organisation's tickets; agents and billing staff their teams' queues and what is
    assigned to them; account managers also their organisations'; supervisors and admins everything."""
    scopes = _scopes(user)
    if not scopes:
        return Ticket.objects.none()
    scope = scopes[0]
    for other in scopes[1:]:
        scope |= other
    return Ticket.objects.filter(scope)


def ticket_get(user: User, key: str | int) -> Ticket:
    """A ticket by reference (GT-2026-000123) or id, if ``user`` may see it; NotFound otherwise (a foreign
    ticket and a missing one look the same)."""
    qs = tickets_visible_to(user).select_related("organisation", "requester", "plan", "team", "assignee")
    key = str(key)
    if key.startswith("GT-"):
        ticket = qs.filter(reference=key).first()
    elif key.isascii() and key.isdigit() and int(key) < 2**63:  # not "²", nor past the 64-bit id column
        ticket = qs.filter(pk=int(key)).first()
    else:
        ticket = None
    if ticket is None:
        raise NotFound(f"ticket {key} not found")
    return ticket


QUEUE_ORDER = (F("next_due_at").asc(nulls_last=True), "id")

# The queue's plain filters: each keyword of ``queue`` / ``queue_page`` and the lookup it narrows by. The
# ranges (opened, resolved, due) are half-open, [from, before), so that adjacent periods and age buckets of
# the supervisors' dashboard share no ticket and its figures add up to the tickets their links list.
QUEUE_LOOKUPS = {
    "team_id": "team_id",
    "priority": "priority",
    "category": "category",
    "organisation_id": "organisation_id",
    "assignee_id": "assignee_id",
    "plan_id": "plan_id",
    "opened_from": "opened_at__gte",
    "opened_before": "opened_at__lt",
    "resolved_from": "resolved_at__gte",
    "resolved_before": "resolved_at__lt",
    "due_from": "next_due_at__gte",
    "due_before": "next_due_at__lt",
}


def _queue_filters(
    user: User,
    *,
    statuses=None,
    breached: bool | None = None,
    mine: bool = False,
    clock: str | None = None,
    clock_state: str | None = None,
    **lookups: object,
) -> Q:
    """The WHERE of a queue: ``lookups`` are QUEUE_LOOKUPS' keywords (None or "" leaves one out);
    ``breached`` any clock breached (or none); ``clock`` and ``clock_state`` a clock of that kind in that
    state (either alone: any kind, any state)."""
    # Always an explicit list of statuses: with the scope, the leading columns of the queue indexes
    # (scope, status, next_due_at), each range of which is read in due order.
    q = Q(status__in=list(statuses) if statuses else list(Status.values))
    for name, value in lookups.items():
        if value is not None and value != "":
            q &= Q(**{QUEUE_LOOKUPS[name]: value})
    if mine:
        q &= Q(assignee=user)
    if breached is not None:
        q &= Q(breached=breached)  # any clock breached: kept on the ticket (sla.refresh_next_due)
    if clock or clock_state:
        kind = {"clock": clock} if clock else {}
        state = {"state": clock_state} if clock_state else {}
        opened = {
            f"ticket_opened_at__{op}": lookups[name]
            for name, op in (("opened_from", "gte"), ("opened_before", "lt"))
            if lookups.get(name) not in (None, "")
        }
        if clock and clock_state and opened:
            # The dashboard's drill-down: the clocks of that kind and outcome of the tickets opened in the
            # period are a range of clock_outcome_opened, whose ticket ids lead to the tickets (7,900 of a
            # month at 1M tickets), instead of a probe of the clocks of each ticket opened then (41,000).
            clocks = SlaClock.objects.filter(clock=clock, state=clock_state, **opened)
            q &= Q(pk__in=clocks.values("ticket_id"))
        else:
            q &= Q(Exists(SlaClock.objects.filter(ticket=OuterRef("pk"), **kind, **state)))
    return q


def queue(user: User, **filters) -> QuerySet[Ticket]:
    """The tickets ``user`` works on, ordered by the next due instant (no deadline last); ``filters`` are
    ``_queue_filters``' keywords. For a page of it, ``queue_page`` is much faster on large databases."""
    return tickets_visible_to(user).filter(_queue_filters(user, **filters)).order_by(*QUEUE_ORDER)


def queue_page(
    user: User,
    *,
    offset: int = 0,
    limit: int = 50,
    after: tuple[datetime | None, int] | None = None,
    **filters,
) -> list[int]:
    """The ids of one page of ``queue(user, **filters)``, in its order.

    An agent sees the union of several scopes (their teams, what is assigned to them...). As one query, the
    OR defeats every index and the database sorts the whole union (40 ms at 100,000 open tickets); so each
    scope is asked for its own first ``offset + limit`` keys, which its index (scope, status, next_due_at)
    yields already in order, and the keys are merged here. The page's rows are then read by id, so that no
    join (organisation, requester...) can lead the planner away from those indexes.

    ``after`` (the due instant and id of the last row of the previous page) reads the next page from where
    that one ended, as fast at any depth as on the first page; ``offset`` reads all the rows before it.
    """
    where = _queue_filters(user, **filters)
    if after is not None:
        where &= _after(*after)
    keys: set[tuple] = set()
    for scope in _scopes(user):
        qs = Ticket.objects.filter(scope, where).order_by(*QUEUE_ORDER)
        keys.update(qs.values_list("next_due_at", "id")[: offset + limit])
    far = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(keys, key=lambda k: (k[0] is None, k[0] or far, k[1]))
    return [pk for _, pk in ordered[offset : offset + limit]]


def _after(due: datetime | None, pk: int) -> Q:
    """The rows after (``due``, ``pk``) in the queue's order (due instant, no deadline last, then id)."""
    if due is None:
        return Q(next_due_at__isnull=True, id__gt=pk)
    return Q(next_due_at__gt=due) | Q(next_due_at=due, id__gt=pk) | Q(next_due_at__isnull=True)


DUPLICATE_THRESHOLD = 0.3
DUPLICATE_WINDOW_DAYS = 30
DUPLICATE_CANDIDATES = 100


class FingerprintCache:
    """The fingerprints of tickets (subject and first message), by ticket id and subject.

    Neither changes once a ticket is open (the subject is part of the key all the same; a merge that brings an
    older message leaves a worker comparing with the description it first read, which is what the ticket was
    opened for), and every creation in an organisation compares itself with much the same recent tickets: a
    worker computes each fingerprint once and keeps the last ``size`` of them, instead of folding a hundred
    texts into trigrams per request.
    """

    def __init__(self, size: int = 10_000):
        self.size = size
        self._items: dict[tuple[int, str], Fingerprint] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str]) -> Fingerprint | None:
        return self._items.get(key)

    def put(self, key: tuple[int, str], value: Fingerprint) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:  # oldest first: dicts keep insertion order
                del self._items[next(iter(self._items))]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


fingerprints = FingerprintCache()


class Candidate(NamedTuple):
    """An open ticket offered as a possible duplicate (a row, not a model instance: a hundred are read per
    creation)."""

    pk: int
    reference: str
    subject: str
    status: str
    opened_at: datetime


def _remember_fingerprints(candidates: list[Candidate]) -> None:
    """Fingerprint the candidates this worker has not seen yet, from their subject and first message (one
    query for all of them)."""
    missing = [t.pk for t in candidates if fingerprints.get((t.pk, t.subject)) is None]
    if not missing:
        return
    first_body = (
        TicketMessage.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "pk").values("body")[:1]
    )
    bodies = dict(
        Ticket.objects.filter(pk__in=missing)
        .annotate(first_body=Subquery(first_body))
        .values_list("pk", "first_body")
    )
    for t in candidates:
        if t.pk in bodies:
            fingerprints.put((t.pk, t.subject), fingerprint(t.subject, bodies[t.pk] or ""))


def similar_open_tickets(
    organisation_id: int,
    subject: str,
    description: str,
    *,
    user: User,
    exclude_id: int | None = None,
    subscription_id: int | None = None,
    limit: int = 5,
) -> list[tuple[Candidate, float]]:
    """The organisation's recent open tickets that look like the same problem, best first. With a
    ``subscription_id``, only tickets about that service (or about none in particular): the same words about
    another line are another problem.

    Scores the 100 most recent open tickets of the last 30 days: one query for them, one more for the first
    message of those whose fingerprint this worker has not seen yet; ``guichet.text.similarity`` does the
    comparing, on the subject and the body's beginning. ``exclude_id`` names the ticket whose subject and
    first message these are, if it exists: its fingerprint is kept for the next comparisons.

    Only tickets ``user`` may see are offered (``_scopes``: for an agent, its teams' tickets, its own and its
    accounts'), as in any other read: naming an organisation does not open its tickets to a member of staff.
    """

    scopes = _scopes(user)
    if not scopes:
        return []
    recent = Ticket.objects.filter(
        functools.reduce(operator.or_, scopes),
        organisation_id=organisation_id,
        status__in=OPEN_STATUSES,
        merged_into__isnull=True,
        opened_at__gte=timezone.now() - timedelta(days=DUPLICATE_WINDOW_DAYS),
    )
    if subscription_id is not None:
        recent = recent.filter(Q(subscription_id=subscription_id) | Q(subscription__isnull=True))
    if exclude_id is not None:
        recent = recent.exclude(pk=exclude_id)
    candidates = [
        Candidate(*row)
        for row in recent.order_by("-opened_at", "-pk").values_list(
            "id", "reference", "subject", "status", "opened_at"
        )[:DUPLICATE_CANDIDATES]
    ]
    _remember_fingerprints(candidates)
    mine = fingerprint(subject, description)
    if exclude_id is not None:
        # The words are the excluded ticket's own (the one just opened): the next creations compare with it.
        fingerprints.put((exclude_id, subject), mine)
    scored = []
    for t in candidates:
        theirs = fingerprints.get((t.pk, t.subject)) or fingerprint(t.subject, "")
        s = score(mine, theirs)
        if s >= DUPLICATE_THRESHOLD:
            scored.append((t, s))
    scored.sort(key=lambda pair: (-pair[1], -pair[0].opened_at.timestamp()))
    return scored[:limit]


class MergeTarget(NamedTuple):
    reference: str
    visible: bool  # whether ``user`` may open it (a link), else only its reference is shown


def merge_target(user: User, ticket: Ticket) -> MergeTarget | None:
    """Where a merged ticket went, as ``user`` may know it: the surviving ticket's reference, and whether it
    is in their scope. Merges stay within an organisation, so a customer always may; an agent may not."""
    if not ticket.merged_into_id:
        return None
    reference = Ticket.objects.filter(pk=ticket.merged_into_id).values_list("reference", flat=True).first()
    if reference is None:
        return None
    visible = tickets_visible_to(user).filter(pk=ticket.merged_into_id).exists()
    return MergeTarget(reference, visible)


def other_open_tickets(user: User, ticket: Ticket, *, limit: int = 10) -> tuple[list[Ticket], int]:
    """The organisation's other open tickets ``user`` may see, the first due first: at most ``limit``, and
    how many there are (a count query only when there are more)."""
    qs = (
        tickets_visible_to(user)
        .filter(organisation_id=ticket.organisation_id, status__in=OPEN_STATUSES)
        .exclude(pk=ticket.pk)
    )
    rows = list(qs.order_by(*QUEUE_ORDER)[:limit])
    return rows, (len(rows) if len(rows) < limit else qs.count())


def conversation(ticket: Ticket, user: User):
    """The ticket's messages in order, with their authors; customers see the public ones only."""
    qs = ticket.messages.select_related("author").order_by("created_at", "pk")
    if not may_see_internal(user):
        qs = qs.filter(kind=MessageKind.PUBLIC)
    return qs


def sla_explained(ticket: Ticket, now: datetime) -> list[dict]:
    """Each clock of the ticket with how its due instant came to be: the calendar, the counted segments and
    the open periods inside them, the pauses."""

    out = []
    for row in ticket.clocks.select_related("calendar"):
        cal = business_calendar(row.calendar)
        segments = [
            Segment(datetime.fromisoformat(a), None if b is None else datetime.fromisoformat(b))
            for a, b in row.segments
        ]
        state, due, used = sla.live(row, now)
        parts = explain(cal, segments, now)
        pauses = [
            {"opens": segments[i].end, "closes": segments[i + 1].start}
            for i in range(len(segments) - 1)
            if segments[i].end is not None
        ]
        out.append(
            {
                "clock": row.clock,
                "calendar": row.calendar.name,
                "hours": row.calendar.hours,
                "time_zone": row.calendar.time_zone,
                "target_seconds": row.target_seconds,
                "state": state,
                "used_seconds": used,
                "due": due,
                "ended_at": sla.ended_at(row),
                "segments": [
                    {
                        "start": p.start,
                        "end": p.end,
                        "counted_seconds": int(p.counted.total_seconds()),
                        "open_periods": [{"opens": a, "closes": b} for a, b in p.open_periods],
                    }
                    for p in parts
                ],
                "pauses": pauses,
            }
        )
    return out
