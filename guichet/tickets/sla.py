"""The SLA clocks of tickets: Django glue around guichet.businesstime.clocks.

Services call these inside their transaction; each function changes the clock rows' segments, then
re-evaluates them, so that the stored state, used time and due / warning instants (indexed) always match the
segments.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from guichet.businesstime.clocks import Segment, evaluate, instant_of, target_duration, used_time
from guichet.plans.models import Calendar, Clock, SlaPlan, TimeUnit
from guichet.plans.selectors import business_calendar

from .models import Category, ClockState, SlaClock, Ticket

WARN_RATIO = 0.75


def calendar_field(plan: SlaPlan, category: str) -> str:
    """Which of the plan's calendars a ticket's clocks run on: incidents on fault-handling hours, billing
    tickets on the billing calendar when the plan has one, everything else on support hours."""
    if category == Category.INCIDENT:
        return "fault_calendar"
    if category == Category.BILLING and plan.billing_calendar_id:
        return "billing_calendar"
    return "support_calendar"


def calendar_for(plan: SlaPlan, category: str) -> Calendar:
    """The calendar a ticket's clocks run on (``calendar_field``)."""
    calendar: Calendar = getattr(plan, calendar_field(plan, category))
    return calendar


def target_seconds(
    plan: SlaPlan, clock: str, priority: str, calendar: Calendar, opened_at: datetime
) -> int | None:
    target = plan.target(clock, priority)
    if target is None:
        return None
    cal = business_calendar(calendar)
    if target.unit == TimeUnit.BUSINESS_DAYS:
        return int(target_duration(cal, opened_at, days=int(target.amount)).total_seconds())
    return int(target.amount * Decimal(3600))


def _segments(row: SlaClock) -> list[Segment]:
    return [
        Segment(datetime.fromisoformat(a), None if b is None else datetime.fromisoformat(b))
        for a, b in row.segments
    ]


def _apply(row: SlaClock, now: datetime) -> None:
    if row.state == ClockState.MERGED and row.stopped:
        return  # ended by a merge: nothing about it changes any more
    cal = business_calendar(row.calendar)
    status = evaluate(
        cal,
        timedelta(seconds=row.target_seconds),
        _segments(row),
        now,
        stopped=row.stopped,
        warn_ratio=WARN_RATIO,
    )
    row.state = ClockState(status.state.value)
    row.used_seconds = int(status.used.total_seconds())
    row.due_at = status.due_at
    row.warn_at = status.warn_at
    row.breached_at = status.breached_at
    row.evaluated_at = now
    row.raise_at = None
    raise_after = row.ticket.plan.raise_priority_after
    waiting = row.stopped or row.state == ClockState.PAUSED  # no raise while paused: resume recomputes it
    if row.clock == Clock.FIRST_RESPONSE and raise_after and not waiting and row.raised_at is None:
        row.raise_at = instant_of(cal, _segments(row), timedelta(seconds=int(raise_after * 3600)), now)


def live(row: SlaClock, now: datetime) -> tuple[str, datetime | None, int]:
    """(state, due, used seconds) as of ``now`` without writing: a running clock keeps counting.

    Its due instant is the stored one — where the target runs out if the last segment runs on, which only a
    change of the clock moves, and every change stores it again — so only the time used is counted here,
    and the state follows from the due instant: a page of 50 tickets reads 150 clocks."""
    if (
        row.state in (ClockState.RUNNING, ClockState.BREACHED)
        and row.segments
        and row.segments[-1][1] is None
    ):
        used = used_time(business_calendar(row.calendar), _segments(row), now)
        breached = row.due_at is not None and row.due_at < now
        state = ClockState.BREACHED if breached else ClockState.RUNNING
        return state, row.due_at, int(used.total_seconds())
    return row.state, row.due_at, row.used_seconds


def _save(rows: list[SlaClock]) -> None:
    fields = [
        *("segments", "stopped", "state", "used_seconds", "evaluated_at"),
        *("due_at", "warn_at", "breached_at", "target_seconds", "calendar", "raise_at"),
    ]
    SlaClock.objects.bulk_update(rows, fields)


def new_clocks(ticket: Ticket, now: datetime) -> list[SlaClock]:
    """The clocks of a new ticket, running from its opening, evaluated but not saved (the ticket may not
    have an id yet). Technical service requests have none."""
    if ticket.outside_sla:
        return []
    prefetch_related_objects([ticket.plan], "targets")
    calendar = calendar_for(ticket.plan, ticket.category)
    rows = []
    for clock in Clock.values:
        seconds = target_seconds(ticket.plan, clock, ticket.priority, calendar, ticket.opened_at)
        if seconds is None:
            continue
        row = SlaClock(
            ticket=ticket,
            clock=clock,
            ticket_opened_at=ticket.opened_at,
            calendar=calendar,
            target_seconds=seconds,
            segments=[[ticket.opened_at.isoformat(), None]],
        )
        _apply(row, now)
        rows.append(row)
    return rows


def pause(ticket: Ticket, at: datetime, now: datetime) -> None:
    """The ticket waits for the customer: every clock still counting stops counting at ``at``."""
    rows = [r for r in ticket.clocks.all() if not r.stopped and r.segments and r.segments[-1][1] is None]
    for row in rows:
        row.segments[-1][1] = _not_before(row, at).isoformat()
        _apply(row, now)
    _save(rows)


def resume(ticket: Ticket, at: datetime, now: datetime) -> None:
    """The customer answered (or the agent took the ticket off pending): clocks not stopped count again."""
    rows = [
        r for r in ticket.clocks.all() if not r.stopped and (not r.segments or r.segments[-1][1] is not None)
    ]
    for row in rows:
        row.segments.append([_not_before(row, at).isoformat(), None])
        _apply(row, now)
    _save(rows)


def stop(ticket: Ticket, clocks: list[str], at: datetime, now: datetime) -> list[SlaClock]:
    """The clocks' events happened at ``at`` (a reply, the intervention, the resolution)."""
    rows = [r for r in ticket.clocks.all() if r.clock in clocks and not r.stopped]
    for row in rows:
        if row.segments and row.segments[-1][1] is None:
            row.segments[-1][1] = _not_before(row, at).isoformat()
        row.stopped = True
        _apply(row, now)
    _save(rows)
    return rows


def restart(ticket: Ticket, clocks: list[str], at: datetime, now: datetime) -> None:
    """A reopened ticket: the resolution clock counts again from ``at``, keeping the time it had used."""
    rows = [r for r in ticket.clocks.all() if r.clock in clocks and r.stopped]
    for row in rows:
        row.stopped = False
        if ticket.status != "pending_customer":
            row.segments.append([_not_before(row, at).isoformat(), None])
        _apply(row, now)
    _save(rows)


def ended_at(row: SlaClock) -> datetime | None:
    """When a stopped clock's event happened (the end of its last segment): the instant it was met."""
    if not row.stopped or not row.segments or row.segments[-1][1] is None:
        return None
    return datetime.fromisoformat(row.segments[-1][1])


def _decided(row: SlaClock, at: datetime) -> bool:
    """Whether the clock's outcome was already settled at ``at``: its event happened (met, or breached when it
    came late), or its due instant had passed (breached, even if it still counts). A settled outcome is what
    happened; a later change of the ticket does not rewrite it."""
    if row.stopped:
        return True
    running = bool(row.segments) and row.segments[-1][1] is None
    breached = row.breached_at or (row.due_at if running else None)
    return breached is not None and breached < at


def retarget(ticket: Ticket, now: datetime, *, at: datetime | None = None) -> None:
    """The priority (or category) changed at ``at``: new targets from the plan, counted from the ticket's
    opening, with the time already used kept (the segments do not change). Only clocks still undecided at
    ``at`` (running or paused, not yet past due) are retargeted: a met or breached clock keeps its outcome."""
    at = at or now
    prefetch_related_objects([ticket.plan], "targets")
    calendar = calendar_for(ticket.plan, ticket.category)
    rows = [r for r in ticket.clocks.all() if not _decided(r, at)]
    for row in rows:
        seconds = target_seconds(ticket.plan, row.clock, ticket.priority, calendar, ticket.opened_at)
        if seconds is None:
            continue  # a clock without a target stays as it is (plans give every priority the same clocks)
        row.target_seconds = seconds
        row.calendar = calendar
        _apply(row, now)
    _save(rows)


def leave_sla(ticket: Ticket, at: datetime, now: datetime) -> None:
    """The ticket became a technical service request, outside the SLA: its clocks stop counting and are never
    escalated. Those still undecided are removed — the ticket is as if it had been opened as one, which has
    no clocks; those already met or breached keep that outcome (what happened stays measured), stopped."""
    rows = list(ticket.clocks.all())
    undecided = [r.pk for r in rows if not _decided(r, at)]
    SlaClock.objects.filter(pk__in=undecided).delete()
    counting = [r for r in rows if r.pk not in undecided and not r.stopped]
    for row in counting:  # breached and still counting: it stops here, breached
        if row.segments and row.segments[-1][1] is None:
            row.segments[-1][1] = _not_before(row, at).isoformat()
        row.stopped = True
        _apply(row, now)
    _save(counting)


def enter_sla(ticket: Ticket, at: datetime, now: datetime) -> None:
    """The ticket is no longer a technical service request: the clocks it lacks start from its opening, as
    for any category change (targets counted from ``opened_at``), with what already happened to it — the
    first reply, the intervention, the resolution end their clocks there; a ticket waiting for the customer
    has them paused from ``at``; a merged one has them ended by its merge."""
    have = {r.clock for r in ticket.clocks.all()}
    rows = [r for r in new_clocks(ticket, now) if r.clock not in have]
    ends: dict[str, datetime | None] = {
        Clock.FIRST_RESPONSE: ticket.first_response_at,
        Clock.INTERVENTION: ticket.intervention_started_at,
    }
    finished = ticket.resolved_at or ticket.closed_at
    for row in rows:
        end = min((e for e in (ends.get(row.clock), finished) if e is not None), default=None)
        if end is not None:
            row.segments[-1][1] = max(end, ticket.opened_at).isoformat()
            row.stopped = True
        elif ticket.status == "pending_customer":
            row.segments[-1][1] = max(at, ticket.opened_at).isoformat()
        _apply(row, now)
        if ticket.merged_into_id and row.stopped and row.state == ClockState.MET:
            _end_as_merged(row)
    SlaClock.objects.bulk_create(rows)


def _end_as_merged(row: SlaClock) -> None:
    row.state = ClockState.MERGED
    row.due_at = row.warn_at = row.raise_at = None


def merge(ticket: Ticket, at: datetime, now: datetime) -> None:
    """The ticket was merged into another at ``at``: its clocks still counting end there. Those whose
    outcome was undecided end as *merged* — neither met nor breached, left out of the compliance figures,
    as the work goes on in the surviving ticket; those already past due stay breached."""
    rows = stop(ticket, Clock.values, at, now)
    for row in rows:
        if row.state == ClockState.MET:
            _end_as_merged(row)
    _save(rows)


SUMMARY_FIELDS = ["next_due_at", "breached"]


def refresh_next_due(ticket: Ticket, rows: list[SlaClock] | None = None) -> None:
    """What the ticket keeps of its clocks (``SUMMARY_FIELDS``, which its caller saves): the earliest due
    instant of those still counting, what the queues order by; whether any is breached, what the queues'
    and the dashboard's breached counts read (an index entry, not a look-up of every open ticket's clocks)."""
    rows = list(ticket.clocks.all()) if rows is None else rows
    dues = [r.due_at for r in rows if not r.stopped and r.due_at is not None]
    ticket.next_due_at = min(dues) if dues else None
    ticket.breached = any(r.state == ClockState.BREACHED for r in rows)


def _not_before(row: SlaClock, at: datetime) -> datetime:
    """Events arrive in order, but an imported one may carry an instant before the clock's last change:
    never let a segment run backwards."""
    last = (row.segments[-1][1] or row.segments[-1][0]) if row.segments else None
    if last is not None and at < datetime.fromisoformat(last):
        return datetime.fromisoformat(last)
    return at


def recompute_calendar(calendar_id: int, now: datetime | None = None, batch: int = 500) -> int:
    """After a calendar's hours or closed dates changed: every clock still counting on it gets its due,
    warning and raise instants again, and its ticket its next due instant (queues and sweeps read those).
    In batches, each in its transaction; returns how many clocks."""

    now = now or timezone.now()
    done, last = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                SlaClock.objects.select_for_update(of=("self",))
                .select_related("calendar", "ticket__plan")
                .filter(calendar_id=calendar_id, stopped=False, pk__gt=last)
                .order_by("pk")[:batch]
            )
            if not rows:
                return done
            for row in rows:
                _apply(row, now)
            _save(rows)
            tickets = list(
                Ticket.objects.filter(pk__in={r.ticket_id for r in rows}).prefetch_related("clocks")
            )
            for ticket in tickets:
                refresh_next_due(ticket)
            Ticket.objects.bulk_update(tickets, SUMMARY_FIELDS)
        done += len(rows)
        last = rows[-1].pk
