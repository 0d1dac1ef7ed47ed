"""The ticket read model: tickets as plain dicts (the shape of the API's ``TicketOut``), read with
``values()`` queries. A page of 50 tickets, their 150 clocks and their watchers build no model instance
(that was a third of a queue page's time); the API validates these dicts with plain pydantic models, never
ninja's ``Schema``, whose resolvers read Django objects attribute by attribute (bench/tickets.py). Callers
check visibility first (``selectors``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.utils import timezone

from guichet.customers.models import User
from guichet.plans.models import Calendar, Clock
from guichet.plans.selectors import calendars_by_id
from guichet.text.safe import neutralised

from . import sla
from .models import SlaClock, Ticket


def utc(at: datetime | None) -> datetime | None:
    """Instants are answered in UTC, as stored (a ticket just created still holds the caller's offset)."""
    return None if at is None else at.astimezone(UTC)


def _name(username: str, first: str, last: str) -> str:
    return neutralised(f"{first} {last}") or username  # as User.display_name


def _person(user: User) -> dict:
    return {"id": user.pk, "username": user.username, "name": user.display_name}


class ClockRow(NamedTuple):
    """The columns of a clock an answer needs (what sla.live reads), without a model instance."""

    clock: str
    calendar: Calendar
    target_seconds: int
    segments: list
    stopped: bool
    state: str
    used_seconds: int
    due_at: datetime | None


def _sla(clocks, now: datetime) -> dict:
    none = {"due": None, "state": "not_applicable", "used_seconds": 0, "target_seconds": None}
    out = {c: {**none, "ended_at": None} for c in Clock}
    for row in clocks:
        state, due, used = sla.live(row, now)
        zone = ZoneInfo(row.calendar.time_zone)  # instants in the clock's own zone
        ended = sla.ended_at(row)
        out[row.clock] = {
            "due": None if due is None else due.astimezone(zone).isoformat(),
            "state": state,
            "used_seconds": used,
            "target_seconds": row.target_seconds,
            "ended_at": None if ended is None else ended.astimezone(zone).isoformat(),
        }
    return out


# A ticket's columns as TicketOut shows them, read with values().
COLUMNS = (
    *("id", "reference", "organisation_id", "organisation__name", "subject", "category", "priority"),
    *("status", "channel", "team__name", "opened_at", "first_response_at", "intervention_started_at"),
    *("resolved_at", "closed_at", "merged_into_id", "customer_flagged_urgent", "over_quota", "outside_sla"),
    *("next_due_at", "version", "requester_id", "requester__username", "requester__first_name"),
    *("requester__last_name", "assignee_id", "assignee__username", "assignee__first_name"),
    *("assignee__last_name", "subscription_id"),
)
CLOCK_COLUMNS = (
    *("ticket_id", "clock", "calendar_id", "target_seconds", "segments", "stopped", "state"),
    *("used_seconds", "due_at"),
)


def _person_in(row: dict, rel: str) -> dict | None:
    """The person ``rel`` (requester, assignee) of a values() row, as PersonRef."""
    if row[f"{rel}_id"] is None:
        return None
    username = row[f"{rel}__username"]
    return {
        "id": row[f"{rel}_id"],
        "username": username,
        "name": _name(username, row[f"{rel}__first_name"], row[f"{rel}__last_name"]),
    }


def _render(
    row: dict, clocks: list[ClockRow], watchers: list[dict], merged: str | None, now: datetime
) -> dict:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "organisation": {"id": row["organisation_id"], "name": row["organisation__name"]},
        "subscription_id": row["subscription_id"],
        "requester": _person_in(row, "requester"),
        "subject": row["subject"],
        "category": row["category"],
        "priority": row["priority"],
        "status": row["status"],
        "channel": row["channel"],
        "team": row["team__name"],
        "assignee": _person_in(row, "assignee"),
        "opened_at": utc(row["opened_at"]),
        "first_response_at": utc(row["first_response_at"]),
        "intervention_started_at": utc(row["intervention_started_at"]),
        "resolved_at": utc(row["resolved_at"]),
        "closed_at": utc(row["closed_at"]),
        "merged_into": merged,
        "customer_flagged_urgent": row["customer_flagged_urgent"],
        "over_quota": row["over_quota"],
        "outside_sla": row["outside_sla"],
        "next_due_at": utc(row["next_due_at"]),
        "version": row["version"],
        "watchers": watchers,
        "sla": _sla(clocks, now),
    }


def clock_rows(pks: Iterable[int], *, counting: bool = False) -> dict[int, list[ClockRow]]:
    """The clocks of the tickets ``pks`` by ticket id, in one query (their calendars from the worker's
    cache), whatever their number; ``counting``: only those not stopped. Callers check visibility first."""
    rows = SlaClock.objects.filter(ticket_id__in=pks)
    if counting:
        rows = rows.filter(stopped=False)
    found = list(rows.order_by().values_list(*CLOCK_COLUMNS))
    calendars = calendars_by_id(r[2] for r in found)
    clocks: dict[int, list[ClockRow]] = {}
    for ticket_id, clock, calendar_id, *rest in found:
        clocks.setdefault(ticket_id, []).append(ClockRow(clock, calendars[calendar_id], *rest))
    return clocks


def tickets_json(pks: Iterable[int], now: datetime | None = None) -> dict[int, dict]:
    """The tickets ``pks`` as TicketOut, by id: four queries (tickets with their organisation, people and
    team; clocks; watchers; and, if any was merged, the references it was merged into), whatever their
    number. Callers check visibility first."""
    now = now or timezone.now()
    pks = list(pks)
    rows = list(Ticket.objects.filter(pk__in=pks).order_by().values(*COLUMNS))
    clocks = clock_rows(pks)
    watchers: dict[int, list[dict]] = {}
    through = Ticket.watchers.through.objects.filter(ticket_id__in=pks).order_by("user_id")
    for ticket_id, uid, username, first, last in through.values_list(
        "ticket_id", "user_id", "user__username", "user__first_name", "user__last_name"
    ):
        watchers.setdefault(ticket_id, []).append(
            {"id": uid, "username": username, "name": _name(username, first, last)}
        )
    merged_ids = {r["merged_into_id"] for r in rows if r["merged_into_id"]}
    references = (
        dict(Ticket.objects.filter(pk__in=merged_ids).values_list("pk", "reference")) if merged_ids else {}
    )
    return {
        r["id"]: _render(
            r, clocks.get(r["id"], []), watchers.get(r["id"], []), references.get(r["merged_into_id"]), now
        )
        for r in rows
    }


def ticket_json(t: Ticket, now: datetime | None = None, *, clocks, watchers) -> dict:
    """A ticket in memory (just created, its relations loaded) with its clocks and watchers, as TicketOut."""
    row = {name: getattr(t, name) for name in COLUMNS if "__" not in name}
    people = {"requester": t.requester, "assignee": t.assignee}
    for rel, user in people.items():
        for field in ("username", "first_name", "last_name"):
            row[f"{rel}__{field}"] = getattr(user, field) if user is not None else None
    row["organisation__name"] = t.organisation.name
    row["team__name"] = t.team.name if t.team_id else None  # type: ignore[union-attr]
    return _render(row, clocks, [_person(w) for w in watchers], None, now or timezone.now())
