"""Property tests: the business-time engine against the brute-force reference in ``reference.py``.

The strategies concentrate on the hard parts: instants within a few days of DST transitions
(spring-forward gaps and fall-back repeated hours), calendars whose opening hours straddle the
transition hour, split days, holidays (explicit and from ``country="LU"``), zero durations,
microsecond instants, and Tunis, which had DST only in 2005-2008.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.businesstime import BusinessCalendar

from .reference import (
    RefCalendar,
    make_ref,
    ref_add,
    ref_add_days,
    ref_elapsed,
    ref_is_open,
    ref_next_open,
    to_us,
    week_of,
)

ZONES = ("Europe/Luxembourg", "Europe/Paris", "America/New_York", "Africa/Tunis")

ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKWEEK = ALL_WEEK[:5]


def hours_on(day_names, hours: str, **other_days: str):
    """The same hours on each of day_names, plus other days given as keywords (see week_of)."""
    return week_of(**dict.fromkeys(day_names, hours), **other_days)


# (spec given to the engine, the same hours as a structure for the reference)
SPECS = (
    (
        "Mon-Sun 00:00-24:00",
        hours_on(ALL_WEEK, "00:00-24:00"),
    ),
    (
        "Mon-Sun 01:30-03:30",
        hours_on(ALL_WEEK, "01:30-03:30"),
    ),
    ("Sun 02:00-04:00", week_of(sun="02:00-04:00")),
    (
        "Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00",
        hours_on(WORKWEEK, "07:30-12:00,13:00-18:00", sat="09:00-12:00"),
    ),
    ("Mon-Fri 08:00-18:00", hours_on(WORKWEEK, "08:00-18:00")),
    (
        "Lun-Ven 08:00-18:00; Sam 09:00-12:00",
        hours_on(WORKWEEK, "08:00-18:00", sat="09:00-12:00"),
    ),
    # Midnight-straddling weekend shift; a one-minute interval right at the end of the repeated hour.
    (
        "Sat 22:00-24:00; Sun 00:00-02:30,03:00-03:01",
        week_of(sat="22:00-24:00", sun="00:00-02:30,03:00-03:01"),
    ),
    # Tiny intervals around midnight (Tunis 2005 sprang forward at 00:00) and the repeated hours.
    (
        "mon-SUN 00:00-00:30,01:00-02:00,02:59-03:00",
        hours_on(ALL_WEEK, "00:00-00:30,01:00-02:00,02:59-03:00"),
    ),
)

# Closed dates next to the transitions (Sundays of the changes, the Mondays after, Tunis 2005).
EXPLICIT_HOLIDAYS = frozenset(
    {
        date(2026, 3, 29),
        date(2026, 3, 30),
        date(2026, 10, 26),
        date(2026, 11, 1),
        date(2026, 3, 9),
        date(2007, 3, 25),
        date(2005, 5, 1),
        date(2005, 9, 30),
        date(2008, 10, 27),
        date(2026, 12, 24),
    }
)
HOLIDAY_OPTIONS = ("none", "explicit", "LU", "LU+explicit")

# UTC instants of the offset changes near which the strategies look.
TRANSITIONS = {
    "Europe/Luxembourg": ("2026-03-29T01:00", "2026-10-25T01:00", "2007-03-25T01:00", "2007-10-28T01:00"),
    "Europe/Paris": ("2026-03-29T01:00", "2026-10-25T01:00", "2008-03-30T01:00", "2008-10-26T01:00"),
    "America/New_York": ("2026-03-08T07:00", "2026-11-01T06:00", "2007-03-11T07:00", "2007-11-04T06:00"),
    "Africa/Tunis": (
        "2005-04-30T23:00",  # 2005-05-01 00:00 -> 01:00 local
        "2005-09-30T00:00",  # 02:00 -> 01:00 local
        "2006-03-26T01:00",
        "2006-10-29T01:00",
        "2008-03-30T01:00",
        "2008-10-26T01:00",
    ),
}

MINUTE = 60_000_000  # microseconds


@functools.cache
def lu_holidays() -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays("LU", years=range(1975, 2096)))


@dataclass(frozen=True)
class Case:
    """One calendar: the engine under test and the reference built from the same inputs."""

    spec: str
    tz: str
    holiday_option: str
    engine: BusinessCalendar
    ref: RefCalendar
    weekly_open_minutes: int

    def __repr__(self) -> str:  # keep hypothesis' falsifying-example output short
        return f"Case({self.spec!r}, {self.tz!r}, holidays={self.holiday_option!r})"


@functools.cache
def make_case(spec_index: int, tz: str, holiday_option: str) -> Case:
    spec, week = SPECS[spec_index]
    explicit = EXPLICIT_HOLIDAYS if "explicit" in holiday_option else frozenset()
    country = "LU" if "LU" in holiday_option else None
    engine = BusinessCalendar(spec, tz, holidays=sorted(explicit), country=country)
    ref_holidays = explicit | (lu_holidays() if country else frozenset())
    ref = make_ref(week, tz, ref_holidays)
    weekly = sum(b - a for day in week for a, b in day)
    return Case(spec, tz, holiday_option, engine, ref, weekly)


cases = st.builds(
    make_case,
    spec_index=st.integers(0, len(SPECS) - 1),
    tz=st.sampled_from(ZONES),
    holiday_option=st.sampled_from(HOLIDAY_OPTIONS),
)

# Different ways of presenting the same instant to the engine: the answer must not depend on it.
VIEWS = ("utc", "local", "fixed", "other-zone")


def present(us: int, view: str, tz: str) -> datetime:
    t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    if view == "local":
        return t.astimezone(ZoneInfo(tz))
    if view == "fixed":
        return t.astimezone(timezone(timedelta(hours=5, minutes=30)))
    if view == "other-zone":
        return t.astimezone(ZoneInfo("Asia/Tokyo"))
    return t


# Microseconds within a minute: mostly 0 (whole minutes hit interval boundaries exactly), else anything.
sub_minutes = st.one_of(
    st.just(0),
    st.just(0),
    st.builds(lambda s, us: s * 1_000_000 + us, st.integers(0, 59), st.integers(0, 999_999)),
)


@st.composite
def instants(draw, tz: str) -> datetime:
    """An aware instant: near a DST transition of ``tz`` or a new year (mostly), else anywhere in
    2005-2009 / 2025-2029, or rarely any year from 1980 to 2090.

    Whole minutes are favoured (they hit interval boundaries exactly); otherwise any microsecond.
    """
    where = draw(st.sampled_from(("transition", "transition", "transition", "tunis-years", "recent", "far")))
    if where == "transition":
        centres = (*TRANSITIONS[tz], "2026-12-31T23:00", "2007-12-31T23:00")
        centre = datetime.fromisoformat(draw(st.sampled_from(centres))).replace(tzinfo=UTC)
        minute = to_us(centre) // MINUTE + draw(st.integers(-3 * 1440, 3 * 1440))
    elif where == "far":
        first_day = datetime(draw(st.integers(1980, 2090)), 1, 1, tzinfo=UTC)
        minute = to_us(first_day) // MINUTE + draw(st.integers(0, 365 * 1440 - 1))
    else:
        first_day = datetime(2005 if where == "tunis-years" else 2025, 1, 1, tzinfo=UTC)
        # Day and minute drawn separately: hypothesis draws huge integer ranges close to their bounds.
        minute = (
            to_us(first_day) // MINUTE + draw(st.integers(0, 4 * 366)) * 1440 + draw(st.integers(0, 1439))
        )
    us = minute * MINUTE + draw(sub_minutes)
    if draw(st.integers(0, 9)) == 0:
        # A hand-written wall time in the zone with either fold, which may fall in a DST gap or pick
        # either pass of a repeated hour: it stands for the instant Python gives it (via utcoffset()),
        # and the tests compute everything from that instant.
        wall = present(us, "local", tz).replace(tzinfo=None) + timedelta(
            minutes=draw(st.sampled_from((0, 30, 60)))
        )
        return wall.replace(tzinfo=ZoneInfo(tz), fold=draw(st.integers(0, 1)))
    return present(us, draw(st.sampled_from(VIEWS)), tz)


def durations(max_minutes: int):
    """0, whole minutes, or any microsecond count, up to max_minutes."""
    return st.one_of(
        st.just(timedelta(0)),
        st.integers(1, max_minutes).map(lambda m: timedelta(minutes=m)),
        st.builds(
            lambda m, sub: timedelta(microseconds=m * MINUTE - sub), st.integers(1, max_minutes), sub_minutes
        ),
    )


def duration_cap(case: Case) -> int:
    """Up to 3 days of open time, but at most ~2 weeks of the calendar's opening hours (reference speed)."""
    return min(3 * 1440, 2 * case.weekly_open_minutes)


def same_instant(a: datetime, b: datetime) -> bool:
    return to_us(a) == to_us(b)


def check_result(result: datetime, tz: str) -> None:
    """Aware, in the calendar's ZoneInfo, and in canonical form (a real wall time with the right offset)."""
    assert isinstance(result, datetime)
    assert isinstance(result.tzinfo, ZoneInfo), result.tzinfo
    assert result.tzinfo.key == tz
    canonical = result.astimezone(UTC).astimezone(ZoneInfo(tz))
    assert result.replace(tzinfo=None) == canonical.replace(tzinfo=None), (result, canonical)
    assert result.utcoffset() == canonical.utcoffset(), (result, result.fold, canonical, canonical.fold)


COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

# Set BUSINESSTIME_EXAMPLES=10 (say) for a longer bug hunt; the default keeps the file well under a minute.
SCALE = float(os.environ.get("BUSINESSTIME_EXAMPLES", "1"))


def examples(n: int) -> int:
    return max(1, round(n * SCALE))


@settings(max_examples=examples(1500), **COMMON)
@given(data=st.data())
def test_is_open_and_next_open_match_reference(data):
    case = data.draw(cases)
    at = data.draw(instants(case.tz))
    assert case.engine.is_open(at) == ref_is_open(case.ref, at)
    got = case.engine.next_open(at)
    check_result(got, case.tz)
    expected = ref_next_open(case.ref, at)
    assert same_instant(got, expected), (at, got, expected)
    assert case.engine.is_open(got)


@settings(max_examples=examples(1000), **COMMON)
@given(data=st.data())
def test_elapsed_matches_reference(data):
    case = data.draw(cases)
    start = data.draw(instants(case.tz))
    span = data.draw(st.integers(-60, 4 * 1440)) * MINUTE + data.draw(sub_minutes)
    end = present(to_us(start) + span, data.draw(st.sampled_from(VIEWS)), case.tz)
    got = case.engine.elapsed(start, end)
    assert isinstance(got, timedelta)
    assert got == ref_elapsed(case.ref, start, end), (start, end)
    # Additivity over any split point in between.
    if span > 0:
        middle = present(to_us(start) + span * data.draw(st.integers(0, 1000)) // 1000, "local", case.tz)
        assert case.engine.elapsed(start, middle) + case.engine.elapsed(middle, end) == got


@settings(max_examples=examples(1000), **COMMON)
@given(data=st.data())
def test_add_matches_reference_and_elapsed_inverts_it(data):
    case = data.draw(cases)
    start = data.draw(instants(case.tz))
    duration = data.draw(durations(duration_cap(case)))
    got = case.engine.add(start, duration)
    check_result(got, case.tz)
    expected = ref_add(case.ref, start, duration)
    assert same_instant(got, expected), (start, duration, got, expected)
    assert case.engine.elapsed(start, got) == duration
    if duration == timedelta(0):
        assert same_instant(got, start)


@settings(max_examples=examples(500), **COMMON)
@given(data=st.data())
def test_add_is_monotone_in_duration(data):
    case = data.draw(cases)
    start = data.draw(instants(case.tz))
    d1 = data.draw(durations(duration_cap(case)))
    d2 = data.draw(durations(duration_cap(case)))
    d1, d2 = sorted((d1, d2))
    t1, t2 = case.engine.add(start, d1), case.engine.add(start, d2)
    assert to_us(start) <= to_us(t1) <= to_us(t2), (start, d1, d2, t1, t2)
    if d1 < d2:
        assert to_us(t1) < to_us(t2)
    # Additivity: going d1, then (d2 - d1) further, lands on the same instant.
    assert same_instant(case.engine.add(t1, d2 - d1), t2)


@settings(max_examples=examples(80), **COMMON)
@given(data=st.data())
def test_multi_week_spans_match_reference(data):
    """Up to 6 weeks of real time: elapsed over the span, then add that much open time back."""
    case = data.draw(cases.filter(lambda c: c.weekly_open_minutes >= 10 * 60))
    start = data.draw(instants(case.tz))
    span_minutes = data.draw(st.integers(7 * 1440, 42 * 1440))
    end = present(to_us(start) + span_minutes * MINUTE, "utc", case.tz)
    open_time = ref_elapsed(case.ref, start, end)
    assert case.engine.elapsed(start, end) == open_time
    got = case.engine.add(start, open_time)
    check_result(got, case.tz)
    # The earliest instant with that much open time: the end itself, or the last closing before it.
    assert same_instant(got, ref_add(case.ref, start, open_time))
    assert to_us(got) <= to_us(end)


@settings(max_examples=examples(600), **COMMON)
@given(
    tz=st.sampled_from(ZONES),
    data=st.data(),
    duration=st.one_of(
        st.builds(
            lambda m, sub: timedelta(microseconds=m * MINUTE + sub), st.integers(0, 42 * 1440), sub_minutes
        ),
        st.builds(
            lambda days, m: timedelta(days=days, minutes=m), st.integers(0, 5 * 366), st.integers(0, 1439)
        ),
    ),
)
def test_24_7_calendar_is_real_time(tz, data, duration):
    """Mon-Sun 00:00-24:00 without holidays: add(s, d) == s + d and elapsed == end - start, across DST."""
    cal = make_case(0, tz, "none").engine
    start = data.draw(instants(tz))
    got = cal.add(start, duration)
    check_result(got, tz)
    assert to_us(got) == to_us(start) + duration // timedelta(microseconds=1)
    end = present(to_us(start) + duration // timedelta(microseconds=1), data.draw(st.sampled_from(VIEWS)), tz)
    assert cal.elapsed(start, end) == duration
    assert cal.elapsed(end, start) == timedelta(0)
    assert cal.is_open(start)
    assert same_instant(cal.next_open(start), start)


@settings(max_examples=examples(300), **COMMON)
@given(
    tz=st.sampled_from(("Europe/Luxembourg", "Europe/Paris", "America/New_York")),
    weeks=st.integers(0, 520),
    data=st.data(),
)
def test_whole_weeks_of_office_hours(tz, weeks, data):
    """Mon-Fri 08:00-18:00, no holidays: k weeks of wall-clock time hold k x 50 open hours, whatever DST
    does (the changes happen at night); from an open instant past opening, k x 50 hours is k weeks later."""
    cal = BusinessCalendar("Mon-Fri 08:00-18:00", tz)
    start = data.draw(instants(tz)).astimezone(ZoneInfo(tz))
    later = (start.replace(tzinfo=None) + timedelta(weeks=weeks)).replace(tzinfo=ZoneInfo(tz))
    assert cal.elapsed(start, later) == timedelta(hours=50 * weeks)
    if cal.is_open(start) and start.time() > time(8, 0):
        # (From exactly 08:00 the earliest such instant is the previous day's 18:00 closing.)
        assert same_instant(cal.add(start, timedelta(hours=50 * weeks)), later)


# add_days: checked against the reference only where the wall time is unambiguous, i.e. calendars
# whose opening hours stay clear of the DST transitions (00:00-03:00 local in these zones).
ADD_DAYS_SPECS = (
    ("Mon-Fri 08:00-18:00", hours_on(WORKWEEK, "08:00-18:00")),
    (
        "Mon-Fri 08:00-18:00; Sat 09:00-12:00",
        hours_on(WORKWEEK, "08:00-18:00", sat="09:00-12:00"),
    ),
    (
        "Mon-Sun 09:00-21:00",
        hours_on(ALL_WEEK, "09:00-21:00"),
    ),
    ("Tue 10:00-11:00; Thu 06:00-23:00", week_of(tue="10:00-11:00", thu="06:00-23:00")),
    (
        "Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00",
        hours_on(WORKWEEK, "07:30-12:00,13:00-18:00", sat="09:00-12:00"),
    ),
    (
        "Mon 08:00-18:00; Tue 08:00-12:00,14:00-18:00",
        week_of(mon="08:00-18:00", tue="08:00-12:00,14:00-18:00"),
    ),
)


@functools.cache
def make_add_days_case(spec_index: int, tz: str, holiday_option: str) -> tuple[BusinessCalendar, RefCalendar]:
    spec, week = ADD_DAYS_SPECS[spec_index]
    explicit = EXPLICIT_HOLIDAYS if "explicit" in holiday_option else frozenset()
    country = "LU" if "LU" in holiday_option else None
    engine = BusinessCalendar(spec, tz, holidays=sorted(explicit), country=country)
    return engine, make_ref(week, tz, explicit | (lu_holidays() if country else frozenset()))


@settings(max_examples=examples(800), **COMMON)
@given(
    spec_index=st.integers(0, len(ADD_DAYS_SPECS) - 1),
    tz=st.sampled_from(ZONES),
    holiday_option=st.sampled_from(HOLIDAY_OPTIONS),
    n=st.integers(0, 15),
    data=st.data(),
)
def test_add_days_matches_reference(spec_index, tz, holiday_option, n, data):
    engine, ref = make_add_days_case(spec_index, tz, holiday_option)
    start = data.draw(instants(tz))
    got = engine.add_days(start, n)
    check_result(got, tz)
    expected = ref_add_days(ref, start, n)
    assert same_instant(got, expected), (start, n, got, expected)
    if n == 0:
        assert same_instant(got, engine.next_open(start))


def test_reference_itself_on_hand_computed_cases():
    """The reference agrees with a few facts computed by hand (so a shared mistake is unlikely)."""
    lux = ZoneInfo("Europe/Luxembourg")
    always = make_ref(hours_on(ALL_WEEK, "00:00-24:00"), "Europe/Luxembourg")
    assert ref_elapsed(
        always, datetime(2026, 3, 29, tzinfo=lux), datetime(2026, 3, 30, tzinfo=lux)
    ) == timedelta(hours=23)
    assert ref_elapsed(
        always, datetime(2026, 10, 25, tzinfo=lux), datetime(2026, 10, 26, tzinfo=lux)
    ) == timedelta(hours=25)
    office = make_ref(hours_on(WORKWEEK, "08:00-18:00"), "Europe/Luxembourg", [date(2026, 6, 23)])
    friday_16h = datetime(2026, 3, 6, 16, tzinfo=lux)
    assert ref_add(office, friday_16h, timedelta(hours=4)) == datetime(2026, 3, 9, 10, tzinfo=lux)
    assert ref_add(office, friday_16h, timedelta(hours=2)) == datetime(2026, 3, 6, 18, tzinfo=lux)
    assert ref_add(office, datetime(2026, 6, 22, 16, tzinfo=lux), timedelta(hours=4)) == datetime(
        2026, 6, 24, 10, tzinfo=lux
    )
    assert ref_next_open(office, datetime(2026, 3, 7, 12, tzinfo=lux)) == datetime(2026, 3, 9, 8, tzinfo=lux)
    assert not ref_is_open(office, datetime(2026, 3, 6, 18, tzinfo=lux))
    repeated = make_ref(week_of(sun="02:00-04:00"), "Europe/Luxembourg")
    assert ref_elapsed(
        repeated, datetime(2026, 10, 25, tzinfo=lux), datetime(2026, 10, 26, tzinfo=lux)
    ) == timedelta(hours=3)
    assert ref_elapsed(
        repeated, datetime(2026, 3, 29, tzinfo=lux), datetime(2026, 3, 30, tzinfo=lux)
    ) == timedelta(hours=1)
