"""Parsing of weekly opening-hours specs such as ``"Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00"``.

Pure Python, no Django. The result is a tuple of 7 tuples (Monday first) of ``(start_minute, end_minute)``
pairs, sorted, non-overlapping, with adjacent intervals merged. Minutes count from local midnight; 1440 is
``24:00`` (end of day), the only way to say "until midnight".
"""

from __future__ import annotations

import re

__all__ = ["DAY_NAMES", "WeekHours", "format_week", "parse_week"]

WeekHours = tuple[tuple[tuple[int, int], ...], ...]

# English and French names, three-letter and full, lower-case -> weekday (Monday = 0).
DAY_NAMES: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("mon", "monday", "lun", "lundi"),
        ("tue", "tuesday", "mar", "mardi"),
        ("wed", "wednesday", "mer", "mercredi"),
        ("thu", "thursday", "jeu", "jeudi"),
        ("fri", "friday", "ven", "vendredi"),
        ("sat", "saturday", "sam", "samedi"),
        ("sun", "sunday", "dim", "dimanche"),
    )
):
    for _n in _names:
        DAY_NAMES[_n] = _i

_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TIME = re.compile(r"^(\d{2}):(\d{2})$")


def _parse_days(token: str, group: str) -> list[int]:
    days: list[int] = []
    for part in token.split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(ends):
            raise ValueError(f"bad day range {part!r} in {group!r}: expected e.g. 'Mon-Fri' or 'Sat'")
        idx = []
        for name in ends:
            if name.lower() not in DAY_NAMES:
                raise ValueError(
                    f"unknown day {name!r} in {group!r}: use Mon..Sun or Lun..Dim "
                    "(e.g. 'Mon-Fri 08:00-18:00')"
                )
            idx.append(DAY_NAMES[name.lower()])
        first, last = idx[0], idx[-1]
        # A range may wrap over the weekend: "Fri-Mon" is Fri, Sat, Sun, Mon.
        span = (last - first) % 7
        days.extend((first + k) % 7 for k in range(span + 1))
    return days


def _parse_time(text: str, group: str, *, is_end: bool) -> int:
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"bad time {text!r} in {group!r}: expected HH:MM, e.g. '08:00'")
    hh, mm = int(m.group(1)), int(m.group(2))
    if mm > 59 or hh > 24 or (hh == 24 and mm != 0):
        raise ValueError(f"bad time {text!r} in {group!r}: hours go from 00:00 to 24:00")
    if hh == 24 and not is_end:
        raise ValueError(f"bad time {text!r} in {group!r}: 24:00 can only end an interval")
    return hh * 60 + mm


def _parse_intervals(text: str, group: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        part = part.strip()
        ends = [p.strip() for p in part.split("-")]
        if len(ends) != 2:
            raise ValueError(f"bad interval {part!r} in {group!r}: expected HH:MM-HH:MM, e.g. '08:00-18:00'")
        a = _parse_time(ends[0], group, is_end=False)
        b = _parse_time(ends[1], group, is_end=True)
        if b <= a:
            raise ValueError(
                f"bad interval {part!r} in {group!r}: the end must be after the start "
                "(split an overnight shift into two days, e.g. 'Mon 22:00-24:00; Tue 00:00-06:00')"
            )
        out.append((a, b))
    return out


def parse_week(spec: str) -> WeekHours:
    """Parse a weekly spec; raise ValueError naming the bad part."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty opening-hours spec: expected e.g. 'Mon-Fri 08:00-18:00'")
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for raw in spec.split(";"):
        group = raw.strip()
        if not group:
            continue
        head, _, rest = group.partition(" ")
        if not rest.strip():
            raise ValueError(f"missing hours in {group!r}: expected e.g. 'Mon-Fri 08:00-18:00'")
        days = _parse_days(head, group)
        intervals = _parse_intervals(rest.replace(" ", ""), group)
        for d in days:
            week[d].extend(intervals)
    result = []
    for d, intervals in enumerate(week):
        intervals.sort()
        merged: list[tuple[int, int]] = []
        for a, b in intervals:
            if merged and a < merged[-1][1]:
                raise ValueError(
                    f"overlapping hours on {_ABBR[d]}: {_fmt(merged[-1])} and {_fmt((a, b))} in {spec!r}"
                )
            if merged and a == merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        result.append(tuple(merged))
    if not any(result):
        raise ValueError(f"no opening hours in {spec!r}")
    return tuple(result)


def _fmt(interval: tuple[int, int]) -> str:
    a, b = interval
    return f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"


def format_week(week: WeekHours) -> str:
    """Canonical spec for a parsed week (days with the same hours grouped into ranges)."""
    groups: list[tuple[list[int], tuple[tuple[int, int], ...]]] = []
    for d, intervals in enumerate(week):
        if not intervals:
            continue
        if groups and groups[-1][1] == intervals and groups[-1][0][-1] == d - 1:
            groups[-1][0].append(d)
        else:
            groups.append(([d], intervals))
    parts = []
    for days, intervals in groups:
        name = _ABBR[days[0]] if len(days) == 1 else f"{_ABBR[days[0]]}-{_ABBR[days[-1]]}"
        parts.append(f"{name} {','.join(_fmt(i) for i in intervals)}")
    return "; ".join(parts)
