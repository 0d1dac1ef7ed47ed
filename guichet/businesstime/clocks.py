"""SLA clock maths: from a target and the intervals a clock ran, its state, used time and due instant.

Pure Python, no Django. A clock runs in *segments*: it starts when the ticket opens, stops running while the
ticket waits for the customer (a pause) and resumes when the customer answers; it stops for good when its
event happens (first reply, intervention started, resolution). A reopened ticket resumes its resolution
clock: the time it spent resolved counts as a pause.

Everything is recomputed from the segments, which makes the answer independent of the order in which facts
arrived (an imported ticket with past instants, a priority change that swaps the target) and makes the due
instant explainable: it is the instant at which the open time counted in the segments reaches the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from .calendar import BusinessCalendar

__all__ = [
    "ClockState",
    "ClockStatus",
    "Segment",
    "evaluate",
    "explain",
    "instant_of",
    "target_duration",
]


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class Segment:
    """An interval during which the clock ran; ``end`` is None while it still runs."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class ClockStatus:
    state: ClockState
    target: timedelta
    used: timedelta  # open time counted in the segments, up to ``now`` (or the stop)
    due_at: datetime | None  # where used reaches the target if the clock runs on from its last segment
    warn_at: datetime | None  # the same for ``warn_ratio`` of the target
    breached_at: datetime | None  # the instant used reached the target, if it has (<= now)
    stopped: bool


def target_duration(
    cal: BusinessCalendar, start: datetime, *, hours: float | None = None, days: int | None = None
) -> timedelta:
    """A target as open time: ``hours`` business hours, or ``days`` business days counted from ``start``
    (the open time between ``start`` and ``cal.add_days(start, days)``), so that pauses apply to both
    alike."""
    if (hours is None) == (days is None):
        raise ValueError("give hours or days")
    if days is not None:
        return cal.elapsed(start, cal.add_days(start, days))
    if hours is None or hours <= 0:
        raise ValueError(f"hours must be positive (got {hours})")
    return timedelta(seconds=round(hours * 3600))


def _check(segments: Sequence[Segment]) -> None:
    previous_end: datetime | None = None
    for i, seg in enumerate(segments):
        if seg.end is not None and seg.end < seg.start:
            raise ValueError(f"segment {i} ends before it starts")
        if seg.end is None and i != len(segments) - 1:
            raise ValueError(f"segment {i} is open but is not the last one")
        if previous_end is not None and seg.start < previous_end:
            raise ValueError(f"segment {i} starts before the previous one ends")
        previous_end = seg.end


def _reach(
    cal: BusinessCalendar, segments: Sequence[Segment], amount: timedelta, now: datetime, running: bool
) -> tuple[datetime | None, bool]:
    """The instant the open time counted in ``segments`` reaches ``amount``, and whether the clock ran past
    it (a clock stopped exactly at its due instant, or looked at exactly then, has not breached).

    For a running clock the last segment is extended indefinitely (that is the due instant); a paused or
    stopped clock has no such instant unless it was already reached."""
    used = timedelta(0)
    for seg in segments:
        end = seg.end if seg.end is not None else now
        part = cal.elapsed(seg.start, end)
        if used + part >= amount:
            at = cal.add(seg.start, amount - used)
            if at < end:
                return at, True
            if seg is segments[-1]:
                return at, False
        used += part
    if running and segments:
        last = segments[-1]
        before_last = used - cal.elapsed(last.start, now)
        return cal.add(last.start, amount - before_last), False
    return None, False


def used_time(cal: BusinessCalendar, segments: Sequence[Segment], now: datetime) -> timedelta:
    """The open time counted in ``segments`` as of ``now`` (an open last segment counts up to ``now``)."""
    return sum((cal.elapsed(s.start, s.end if s.end is not None else now) for s in segments), timedelta(0))


def instant_of(
    cal: BusinessCalendar, segments: Sequence[Segment], amount: timedelta, now: datetime
) -> datetime | None:
    """The instant the open time counted in ``segments`` reaches ``amount`` (the last segment, if open,
    runs on); None if a paused or stopped clock never reached it."""
    running = bool(segments) and segments[-1].end is None
    return _reach(cal, segments, amount, now, running)[0]


def evaluate(
    cal: BusinessCalendar,
    target: timedelta,
    segments: Sequence[Segment],
    now: datetime,
    *,
    stopped: bool = False,
    warn_ratio: float = 0.75,
) -> ClockStatus:
    """The state of a clock with this target that ran in ``segments``, as of ``now``.

    ``stopped`` says that the clock's event happened (at the end of the last segment). Without segments the
    clock has not started: it is paused with nothing used."""
    if target <= timedelta(0):
        raise ValueError("target must be positive")
    _check(segments)
    running = bool(segments) and segments[-1].end is None and not stopped
    if stopped and segments and segments[-1].end is None:
        raise ValueError("a stopped clock's last segment must have an end")
    used = used_time(cal, segments, now)
    due_at, reached = _reach(cal, segments, target, now, running)
    warn_at, _ = _reach(cal, segments, target * warn_ratio, now, running)
    if stopped and not reached and segments:
        # A met clock keeps the deadline it beat: where the target would have run out had it kept running.
        last = segments[-1]
        assert last.end is not None
        due_at = cal.add(last.start, target - (used - cal.elapsed(last.start, last.end)))
    if reached:
        state = ClockState.BREACHED
    elif stopped:
        state = ClockState.MET
    elif running:
        state = ClockState.RUNNING
    else:
        state = ClockState.PAUSED
        due_at = warn_at = None  # no deadline while the clock waits for the customer
    return ClockStatus(
        state=state,
        target=target,
        used=used,
        due_at=due_at,
        warn_at=warn_at,
        breached_at=due_at if reached else None,
        stopped=stopped,
    )


@dataclass(frozen=True)
class ExplainedSegment:
    start: datetime
    end: datetime | None
    counted: timedelta
    open_periods: list[tuple[datetime, datetime]] = field(default_factory=list)


def explain(
    cal: BusinessCalendar, segments: Sequence[Segment], now: datetime, *, max_periods: int = 50
) -> list[ExplainedSegment]:
    """For each segment, the open periods of the calendar it counted (clipped to the segment) and their sum;
    the gaps between segments are the pauses."""
    out = []
    for seg in segments:
        end = seg.end if seg.end is not None else now
        periods = []
        for a, b in cal.open_periods(seg.start, count=max_periods):
            if a >= end:
                break
            periods.append((a, min(b, end)))
        out.append(ExplainedSegment(seg.start, seg.end, cal.elapsed(seg.start, end), periods))
    return out
