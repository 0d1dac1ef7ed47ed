"""A ticket's SLA clocks as people read them: a badge per clock ("2 h 10 min left", "breached 35 min ago",
"met at 09:42, 2 h 18 min before its due time", "paused — waiting for the customer", "ended by the merge"),
its colour and the share of its target used, and the explanation behind it.

Every duration is business time, counted in the clock's calendar by ``businesstime`` (``sla.live`` and
``sla_explained`` give the time used; left and over are the target minus it), never a wall-clock difference:
a clock due on Monday at 10:00 and looked at on Friday evening has its Monday hours left, not a weekend.
Texts are made under the active language and time zone: call these while rendering for the reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from guichet.formats import duration_text
from guichet.plans.models import Clock, clock_label

from . import sla
from .models import ClockState, Ticket
from .read import ClockRow, clock_rows
from .selectors import sla_explained

# The badge's states, which its colour follows (CSS classes badge-ok, badge-warning, …).
OK, WARNING, BREACHED, MET, PAUSED, MERGED = "ok", "warning", "breached", "met", "paused", "merged"


def duration(seconds: int, *, up: bool = False) -> str:
    """Business time as people read it, to the minute: "3 h", "2 h 05 min", "45 min", "0 min" (the shared,
    translated ``formats.duration_text``). ``up``: a part of a minute counts as a minute (time left: "1 min
    left" until it is gone, never "0 min left")."""
    seconds = max(seconds, 0)
    minutes = -(-seconds // 60) if up else seconds // 60
    return duration_text(minutes * 60)


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None  # None: still counting
    counted: str = ""


@dataclass(frozen=True)
class Explanation:
    """How the badge's figures came to be: the calendar, what each segment counted, the pauses."""

    calendar: str
    hours: str
    time_zone: str
    target: str
    used: str
    segments: list[Span] = field(default_factory=list)
    pauses: list[Span] = field(default_factory=list)


@dataclass(frozen=True)
class Badge:
    clock: str  # the clock's code: for ids and tests, never shown
    label: str  # "First response"
    state: str  # ok / warning / breached / met / paused / merged
    text: str  # "2 h 10 min left"
    used_percent: int  # share of the target used, may pass 100
    due: datetime | None
    ended_at: datetime | None
    explanation: Explanation | None = None

    @property
    def meter(self) -> int:
        """The share used, capped at 100 (a bar's width)."""
        return min(self.used_percent, 100)


def _when(at: datetime, now: datetime) -> dict[str, str]:
    """An instant in the reader's zone: the time alone when it is today, else its date too."""
    local, today = timezone.localtime(at), timezone.localtime(now).date()
    parts = {"time": date_format(local, "H:i")}
    if local.date() != today:
        parts["date"] = date_format(local, "Y-m-d")
    return parts


def _met(ended_at: datetime, spare: str, now: datetime) -> str:
    when = _when(ended_at, now)
    if "date" in when:
        return gettext("met on %(date)s at %(time)s, %(spare)s before its due time") % {
            **when,
            "spare": spare,
        }
    return gettext("met at %(time)s, %(spare)s before its due time") % {**when, "spare": spare}


def _late(ended_at: datetime, over: str, now: datetime) -> str:
    when = _when(ended_at, now)
    if "date" in when:
        return gettext("breached: done on %(date)s at %(time)s, %(over)s after its due time") % {
            **when,
            "over": over,
        }
    return gettext("breached: done at %(time)s, %(over)s after its due time") % {**when, "over": over}


def _waiting(customer: bool) -> str:
    if customer:
        return gettext("paused — waiting for your answer")
    return gettext("paused — waiting for the customer")


def _text(
    state: str,
    used: int,
    target: int,
    ended_at: datetime | None,
    running: bool,
    now: datetime,
    customer: bool,
) -> str:
    if state == ClockState.MERGED:
        return gettext("ended by the merge")
    if state == ClockState.MET and ended_at is not None:
        return _met(ended_at, duration(target - used), now)
    if state == ClockState.BREACHED:
        over = duration(used - target)
        if ended_at is not None:
            return _late(ended_at, over, now)
        if running:
            return gettext("breached %(over)s ago") % {"over": over}
        if customer:
            return gettext("breached by %(over)s — paused, waiting for your answer") % {"over": over}
        return gettext("breached by %(over)s — paused, waiting for the customer") % {"over": over}
    if state == ClockState.PAUSED:
        return _waiting(customer)
    return pgettext("clock badge", "%(left)s left") % {"left": duration(target - used, up=True)}


def _colour(state: str, used: int, target: int) -> str:
    if state == ClockState.RUNNING:
        return WARNING if used > target * sla.WARN_RATIO else OK
    colours: dict[str, str] = {ClockState.MET: MET, ClockState.BREACHED: BREACHED, ClockState.MERGED: MERGED}
    return colours.get(state, PAUSED)


def badge(
    *,
    clock: str,
    state: str,
    used: int,
    target: int,
    due: datetime | None,
    ended_at: datetime | None,
    running: bool,
    now: datetime,
    customer: bool = False,
    explanation: Explanation | None = None,
) -> Badge:
    """One clock's badge from its live figures (``sla.live``): ``used`` and ``target`` in business seconds;
    ``running``: its last segment is still open (it counts now); ``customer``: worded for the customer."""
    return Badge(
        clock=clock,
        label=clock_label(clock),
        state=_colour(state, used, target),
        text=_text(state, used, target, ended_at, running, now, customer),
        used_percent=int(used * 100 // target) if target else 0,
        due=due,
        ended_at=ended_at,
        explanation=explanation,
    )


ORDER = {code: i for i, code in enumerate(Clock.values)}  # Clock.values builds its list at every call


def _order(code: str) -> int:
    return ORDER.get(code, len(ORDER))


def clock_badges(ticket: Ticket, now: datetime, *, customer: bool = False) -> list[Badge]:
    """The ticket's clocks in their usual order (first response, intervention, resolution), each with its
    explanation (``selectors.sla_explained``). The caller has checked the reader may see the ticket."""
    out = []
    for c in sorted(sla_explained(ticket, now), key=lambda c: _order(c["clock"])):
        segments = c["segments"]
        explanation = Explanation(
            calendar=c["calendar"],
            hours=c["hours"],
            time_zone=c["time_zone"],
            target=duration(c["target_seconds"]),
            used=duration(c["used_seconds"]),
            segments=[Span(s["start"], s["end"], duration(s["counted_seconds"])) for s in segments],
            pauses=[Span(p["opens"], p["closes"]) for p in c["pauses"]],
        )
        out.append(
            badge(
                clock=c["clock"],
                state=c["state"],
                used=c["used_seconds"],
                target=c["target_seconds"],
                due=c["due"],
                ended_at=c["ended_at"],
                running=bool(segments) and segments[-1]["end"] is None,
                now=now,
                customer=customer,
                explanation=explanation,
            )
        )
    return out


def _row_badge(row: ClockRow, now: datetime) -> Badge:
    clock: Any = row  # sla.live and sla.ended_at read only the columns a ClockRow holds (as read.py does)
    state, due, used = sla.live(clock, now)
    return badge(
        clock=row.clock,
        state=state,
        used=used,
        target=row.target_seconds,
        due=due,
        ended_at=sla.ended_at(clock),
        running=bool(row.segments) and row.segments[-1][1] is None and not row.stopped,
        now=now,
    )


def _next(rows: list[ClockRow]) -> ClockRow | None:
    """The clock a queue shows: the one that falls due first among those counting, else one waiting for
    the customer; none when every clock has ended."""
    counting = [r for r in rows if not r.stopped and r.due_at is not None]
    if counting:
        return min(counting, key=lambda r: (r.due_at, _order(r.clock)))
    paused = [r for r in rows if not r.stopped]
    return min(paused, key=lambda r: _order(r.clock)) if paused else None


def next_due_badges(ticket_ids: Iterable[int], now: datetime) -> dict[int, Badge]:
    """For a page of tickets, the badge of each one's next due clock, by ticket id: one query whatever the
    number of tickets (``read.clock_rows``). Callers check visibility first."""
    out = {}
    for ticket_id, rows in clock_rows(list(ticket_ids), counting=True).items():
        row = _next(rows)
        if row is not None:
            out[ticket_id] = _row_badge(row, now)
    return out
