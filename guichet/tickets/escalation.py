"""The escalation sweep: SLA warnings at 75 %, breach notices to supervisors, automatic priority raises.

Each step reads a range of its partial index, which holds only the clocks that step has still to handle
(clock_to_warn, clock_to_breach, clock_to_raise) — never the open tickets one by one — claims its rows by
stamping them in the same transaction as the notifications it writes, in bounded batches, so that nothing
fires twice (a stamped row is never selected again) and nothing is lost (a crash rolls the batch back and
the next sweep finds the rows again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.customers.models import User
from guichet.plans.models import clock_in_sentence

from . import sla
from .models import ClockState, Notification, SlaClock, Ticket
from .notifications import notify
from .services import raise_priority

BATCH = 500
# Clocks still counting: "breached" ones too, when the breach was seen by a change before the sweep came by.
LIVE = (ClockState.RUNNING, ClockState.BREACHED)


def due_warnings(now: datetime):
    """Clocks whose 75 % warning instant has passed and which were not warned yet."""
    return SlaClock.objects.filter(state__in=LIVE, warn_at__lte=now, warned_at__isnull=True, stopped=False)


def due_breaches(now: datetime):
    """Clocks past their due instant whose breach notice has not gone out yet."""
    return SlaClock.objects.filter(
        state__in=LIVE, due_at__lt=now, breach_notified_at__isnull=True, stopped=False
    )


def due_raises(now: datetime):
    """First-response clocks past the instant the plan raises the priority, not raised yet. Only a first
    response ever has a ``raise_at`` (``sla._apply``), so the kind is not asked: asked, it drew SQLite to
    the index clock_outcome_opened (kind, state, …), which holds every clock, instead of clock_to_raise."""
    return SlaClock.objects.filter(raise_at__lte=now, raised_at__isnull=True, stopped=False).exclude(
        state=ClockState.PAUSED
    )


# Each step's rows and the column holding its instant: what the sweep drains and what the metrics watch.
STEPS = {
    "warning": (due_warnings, "warn_at"),
    "breach": (due_breaches, "due_at"),
    "raise": (due_raises, "raise_at"),
}


def backlog(now: datetime) -> dict[str, tuple[int, datetime | None]]:
    """Per step, how many escalations are due and not fired yet, and the instant of the oldest: the sweep's
    lag (each count reads the step's partial index, like the sweep itself)."""
    result = {}
    for step, (rows, instant) in STEPS.items():
        agg = rows(now).aggregate(n=Count("pk"), oldest=Min(instant))
        result[step] = (agg["n"], agg["oldest"])
    return result


def _claimable(qs, instant: str):
    # Ordered by the instant the step filters on, so that the planner walks that step's partial index (at
    # 1M tickets, 4 ms for a sweep with nothing due; bench/tickets.py). PostgreSQL: skip rows another
    # sweeper holds; SQLite serialises writers.
    return (
        qs.select_for_update(skip_locked=True, of=("self",))
        .select_related(
            "ticket", "ticket__team", "ticket__team__supervisor", "ticket__assignee", "ticket__plan"
        )
        .order_by(instant, "pk")[:BATCH]
    )


def _staff_for(ticket: Ticket) -> list[User]:
    if ticket.assignee_id:
        return [ticket.assignee]  # type: ignore[list-item]
    if ticket.team_id:
        return list(ticket.team.members.all())  # type: ignore[union-attr]
    return list(User.objects.filter(kind=User.Kind.SUPERVISOR, is_active=True))


def _supervisors_for(ticket: Ticket) -> list[User]:
    if ticket.team_id and ticket.team.supervisor_id:  # type: ignore[union-attr]
        return [ticket.team.supervisor]  # type: ignore[union-attr,list-item]
    return list(User.objects.filter(kind=User.Kind.SUPERVISOR, is_active=True))


def _drain(qs, instant: str, handle: Callable[[list[SlaClock]], None]) -> int:
    """Claim the rows of ``qs`` in batches, each handled (stamped, notified) in its own transaction."""
    done = 0
    while True:
        with transaction.atomic():
            rows = list(_claimable(qs, instant))
            handle(rows)
        done += len(rows)
        if len(rows) < BATCH:
            return done


def warn(now: datetime) -> int:
    def handle(rows: list[SlaClock]) -> None:
        for row in rows:
            row.warned_at = now
            if row.due_at is not None and row.due_at < now:
                continue  # already past due: the breach notice says it all
            t = row.ticket
            due = row.due_at.isoformat() if row.due_at else "?"
            notify(
                recipients=_staff_for(t),
                ticket=t,
                kind=Notification.Kind.SLA_WARNING,
                clock=row.clock,
                message=f"{t.reference} ({t.subject}): 75 % of its "
                f"{clock_in_sentence(row.clock)} time is used; due {due}.",
                at=now,
            )
        SlaClock.objects.bulk_update(rows, ["warned_at"])

    return _drain(due_warnings(now), "warn_at", handle)


def breach(now: datetime) -> int:
    def handle(rows: list[SlaClock]) -> None:
        for row in rows:
            row.state = ClockState.BREACHED
            row.breached_at = row.due_at
            row.breach_notified_at = now
            t = row.ticket
            notify(
                recipients=_supervisors_for(t),
                ticket=t,
                kind=Notification.Kind.SLA_BREACH,
                clock=row.clock,
                message=f"{t.reference} ({t.subject}) breached its {clock_in_sentence(row.clock)} target "
                f"at {row.due_at.isoformat() if row.due_at else '?'}.",
                at=now,
            )
            record(
                actor=None,
                door=Door.SYSTEM,
                action="sla.breached",
                target=t,
                organisation_id=t.organisation_id,
                changes={"clock": row.clock, "due": row.due_at},
                internal=True,
            )
        SlaClock.objects.bulk_update(rows, ["state", "breached_at", "breach_notified_at"])
        Ticket.objects.filter(pk__in={r.ticket_id for r in rows}).update(breached=True)

    return _drain(due_breaches(now), "due_at", handle)


def raise_priorities(now: datetime) -> int:

    def handle(rows: list[SlaClock]) -> None:
        for row in rows:
            SlaClock.objects.filter(pk=row.pk).update(raised_at=now, raise_at=None)
            ticket = Ticket.objects.select_for_update().select_related("plan").get(pk=row.ticket_id)
            new = raise_priority(ticket)
            if new is None or not ticket.is_open:
                continue
            old = ticket.priority
            ticket.priority = new
            sla.retarget(ticket, now)
            sla.refresh_next_due(ticket)
            ticket.version += 1
            ticket.save(update_fields=["priority", *sla.SUMMARY_FIELDS, "version", "updated_at"])
            after = ticket.plan.raise_priority_after
            record(
                actor=None,
                door=Door.SYSTEM,
                action="ticket.priority_raised",
                target=ticket,
                organisation_id=ticket.organisation_id,
                changes={
                    "priority": [old, new],
                    "reason": f"no first response within {after} business hours",
                },
            )
            notify(
                recipients=_staff_for(ticket),
                ticket=ticket,
                kind=Notification.Kind.PRIORITY_RAISED,
                clock=row.clock,
                message=f"{ticket.reference} ({ticket.subject}) had no first response within {after} "
                f"business hours: its priority went from {old} to {new}.",
                at=now,
            )

    return _drain(due_raises(now), "raise_at", handle)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass of every escalation; returns how many clocks each step handled."""
    now = now or timezone.now()
    return {"raised": raise_priorities(now), "warned": warn(now), "breached": breach(now)}
