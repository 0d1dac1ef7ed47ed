"""Half-open time intervals ``[start, end)`` of aware datetimes: merge, clip, subtract, measure.

Every function converts its instants to UTC first and returns UTC datetimes. Two aware datetimes sharing
one ``ZoneInfo`` are compared and subtracted by their *wall-clock* time in Python (a difference across a
DST change is off by an hour, and the repeated hour of a fall-back compares wrongly); in UTC there is no
such trap. Merged results are sorted, and overlapping or touching intervals become one, so an instant is
never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from .errors import OutOfRange

__all__ = ["Interval", "clip", "format_duration", "merge", "subtract", "total_seconds"]

Interval = tuple[datetime, datetime]
"""``(start, end)``: aware datetimes, end exclusive. An interval with ``start >= end`` is empty."""

ONE_SECOND = timedelta(seconds=1)


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {moment.isoformat()})")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 at +01:00 is in year 0 in UTC
        raise OutOfRange(f"{name} {moment.isoformat()} cannot be written in UTC") from None


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals``: sorted, in UTC, overlapping and touching ones merged, empty ones dropped.

    ``[9:00, 10:00)`` and ``[10:00, 11:00)`` touch and become ``[9:00, 11:00)``. An interval whose end is
    not after its start (empty or reversed) covers nothing and is dropped. Naive datetimes raise
    ``ValueError``, instants that cannot be written in UTC ``OutOfRange``.
    """
    spans = sorted(
        (start, end)
        for start, end in ((_utc(s, "interval start"), _utc(e, "interval end")) for s, e in intervals)
        if start < end
    )
    merged: list[Interval] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], *, start: datetime, end: datetime) -> list[Interval]:
    """The merged ``intervals`` cut to ``[start, end)``; parts outside it are dropped.

    An empty window (``start >= end``) gives an empty list.
    """
    low, high = _utc(start, "start"), _utc(end, "end")
    clipped = ((max(s, low), min(e, high)) for s, e in merge(intervals))
    return [(s, e) for s, e in clipped if s < e]


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` outside every hole, merged.

    Used to take planned maintenance and force majeure out of an outage. A hole that only touches an
    interval removes nothing (ends are exclusive).
    """
    cuts = merge(holes)
    result: list[Interval] = []
    first_hole = 0
    for start, end in merge(intervals):
        # Both lists are sorted: holes ending before this interval also end before the next ones.
        while first_hole < len(cuts) and cuts[first_hole][1] <= start:
            first_hole += 1
        cursor = start
        for hole_start, hole_end in cuts[first_hole:]:
            if hole_start >= end:
                break
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def total_seconds(intervals: Iterable[Interval]) -> int:
    """The length of the union of ``intervals`` in whole seconds (an overlap counts once).

    The durations are added exactly (``timedelta`` keeps microseconds) and the *total* is then truncated to
    whole seconds: truncating each interval would lose up to a second per interval, and a fraction of a
    second of outage is not worth rounding up (credits count whole started minutes anyway).
    """
    total = sum((end - start for start, end in merge(intervals)), timedelta(0))
    return total // ONE_SECOND


def format_duration(seconds: int, *, minutes: bool = False) -> str:
    """``seconds`` as ``"H h MM min"``, with ``" SS s"`` appended only when not a whole minute.

    ``minutes``: as people read a clock, to the minute (the seconds dropped), with no zero part: ``"3 h"``,
    ``"2 h 05 min"``, ``"45 min"`` (the same in English and French).

    >>> format_duration(5400), format_duration(2674800), format_duration(90)
    ('1 h 30 min', '743 h 00 min', '0 h 01 min 30 s')
    >>> [format_duration(s, minutes=True) for s in (10800, 7530, 2700)]
    ['3 h', '2 h 05 min', '45 min']
    """
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    hours, rest = divmod(seconds, 3600)
    if minutes:
        whole = rest // 60
        if not hours:
            return f"{whole} min"
        return f"{hours} h {whole:02d} min" if whole else f"{hours} h"
    minutes_, secs = divmod(rest, 60)
    text = f"{hours} h {minutes_:02d} min"
    return f"{text} {secs:02d} s" if secs else text
