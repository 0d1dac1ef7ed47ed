"""A deliberately simple, brute-force reference for the business-time semantics.

Written from the specification only (never from ``guichet.businesstime``), so that the property
tests compare two independent implementations:

* An instant is *open* when its local wall-clock time in the calendar's zone falls inside an
  opening interval ``[start, end)`` of its weekday, and its local date is not a holiday.
* Durations are real elapsed time.

Every zone used by the tests changes its UTC offset on whole minutes (in the years tested), and
every opening interval starts and ends on a whole minute, so openness is constant on each UTC
minute. The reference therefore walks time UTC minute by UTC minute (with partial first and last
minutes), deciding each minute by converting it to local wall time with ``zoneinfo``. Instants are
handled as integer microseconds since the Unix epoch, so there is no float rounding anywhere.

Calendars are given as a Python structure (not parsed from the spec string): ``week`` is a
sequence of 7 sequences (Monday first) of ``(start_minute, end_minute)`` pairs, minutes counted
from local midnight, ``1440`` meaning 24:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_MINUTE = 60_000_000
ONE_US = timedelta(microseconds=1)

# Safety net: no search in the tests should need more than ~10 years of minutes.
MAX_MINUTES = 10 * 366 * 24 * 60

Week = Sequence[Sequence[tuple[int, int]]]


def hm(text: str) -> int:
    """'07:30' -> 450 minutes; '24:00' -> 1440."""
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


def week_of(**days: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Build a week from keyword days: ``week_of(mon="08:00-18:00", sat="09:00-12:00")``.

    A value may hold several comma-separated intervals: ``"07:30-12:00,13:00-18:00"``.
    """
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    unknown = set(days) - set(names)
    assert not unknown, unknown
    week = []
    for name in names:
        intervals = []
        for part in filter(None, days.get(name, "").split(",")):
            a, b = part.split("-")
            intervals.append((hm(a), hm(b)))
        week.append(tuple(intervals))
    return tuple(week)


def to_us(t: datetime) -> int:
    """An aware datetime -> integer microseconds since the epoch (exact)."""
    assert t.tzinfo is not None and t.utcoffset() is not None, "reference needs aware datetimes"
    return (t - EPOCH) // ONE_US


def from_us(us: int, zone: ZoneInfo) -> datetime:
    """Integer microseconds since the epoch -> aware datetime in ``zone`` (fold set correctly)."""
    return (EPOCH + timedelta(microseconds=us)).astimezone(zone)


@dataclass(frozen=True)
class RefCalendar:
    week: Week
    tz: str
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def minute_is_open(self, minute: int) -> bool:
        """Is the UTC minute number ``minute`` (minutes since the epoch) open?"""
        local = (EPOCH + timedelta(minutes=minute)).astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        m = local.hour * 60 + local.minute
        return any(a <= m < b for a, b in self.week[local.weekday()])


def make_ref(week: Week, tz: str, holidays: Iterable[date] = ()) -> RefCalendar:
    return RefCalendar(week=tuple(tuple(d) for d in week), tz=tz, holidays=frozenset(holidays))


def ref_is_open(cal: RefCalendar, at: datetime) -> bool:
    return cal.minute_is_open(to_us(at) // US_PER_MINUTE)


def ref_next_open(cal: RefCalendar, at: datetime) -> datetime:
    """The first open instant >= at."""
    us = to_us(at)
    minute = us // US_PER_MINUTE
    if cal.minute_is_open(minute):
        return from_us(us, cal.zone)
    for _ in range(MAX_MINUTES):
        minute += 1
        if cal.minute_is_open(minute):
            return from_us(minute * US_PER_MINUTE, cal.zone)
    raise AssertionError("reference: calendar never opens")


def ref_elapsed(cal: RefCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end]; zero when end <= start."""
    us, end_us = to_us(start), to_us(end)
    total = 0
    while us < end_us:
        minute = us // US_PER_MINUTE
        segment_end = min((minute + 1) * US_PER_MINUTE, end_us)
        if cal.minute_is_open(minute):
            total += segment_end - us
        us = segment_end
    return timedelta(microseconds=total)


def ref_add(cal: RefCalendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant t >= start such that the open time in [start, t] equals duration."""
    need = duration // ONE_US
    assert need >= 0
    us = to_us(start)
    if need == 0:
        return from_us(us, cal.zone)
    for _ in range(MAX_MINUTES):
        minute = us // US_PER_MINUTE
        segment_end = (minute + 1) * US_PER_MINUTE
        if cal.minute_is_open(minute):
            available = segment_end - us
            if available >= need:
                return from_us(us + need, cal.zone)
            need -= available
        us = segment_end
    raise AssertionError("reference: duration never reached")


def ref_is_open_day(cal: RefCalendar, day: date) -> bool:
    """A day with opening hours that is not a holiday."""
    return bool(cal.week[day.weekday()]) and day not in cal.holidays


def ref_add_days(cal: RefCalendar, start: datetime, n: int) -> datetime:
    """n business days, for calendars whose opening hours stay clear of DST transitions.

    From p = the first open instant >= start: the same local time of day on the n-th open day after
    p's day, clamped into that day's [first opening, last closing] times. (A time inside a lunch break
    of the target day is kept as it is: the spec only clamps to the day's opening and closing.) Only
    used where the resulting wall time is unambiguous.
    """
    p = ref_next_open(cal, start)
    if n == 0:
        return p
    day = p.date()
    for _ in range(n):
        day += timedelta(days=1)
        while not ref_is_open_day(cal, day):
            day += timedelta(days=1)
    intervals = cal.week[day.weekday()]
    opening, closing = intervals[0][0], intervals[-1][1]
    wall = p.replace(tzinfo=None)
    minute_of_day = wall.hour * 60 + wall.minute
    if minute_of_day < opening:
        wall_time = timedelta(minutes=opening)
    elif minute_of_day >= closing:
        # At or after closing (with any seconds): that day's closing time.
        wall_time = timedelta(minutes=closing)
    else:
        wall_time = wall - datetime.combine(wall.date(), datetime.min.time())
    local = datetime.combine(day, datetime.min.time()) + wall_time
    return local.replace(tzinfo=cal.zone)
