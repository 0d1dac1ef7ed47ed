"""Worked examples for ``BusinessCalendar``: each expectation is computed by hand and reads as documentation.

Calendar reminders used below (2026): Fri 6 March, Mon 9 March; Luxembourg National Day is Tue 23 June;
Europe springs forward on Sun 29 March (02:00 -> 03:00 local) and falls back on Sun 25 October
(03:00 -> 02:00 local); Lisbon springs forward on Sun 29 March at 01:00 local.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from guichet.businesstime import BusinessCalendar

LUX = ZoneInfo("Europe/Luxembourg")
LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
TUNIS = ZoneInfo("Africa/Tunis")

OFFICE = "Mon-Fri 08:00-18:00"


def lux(y, m, d, hh=0, mm=0, ss=0, us=0, fold=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=LUX, fold=fold)


def assert_same(got: datetime, expected: datetime) -> None:
    """Same instant (compared in UTC, so fold matters), and the result is in the expected zone."""
    assert got.astimezone(UTC) == expected.astimezone(UTC), (got, expected)
    assert isinstance(got.tzinfo, ZoneInfo)
    assert got.tzinfo.key == expected.tzinfo.key
    assert got.utcoffset() == expected.utcoffset(), (got, expected)


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    return BusinessCalendar(OFFICE, "Europe/Luxembourg")


@pytest.fixture(scope="module")
def office_lu() -> BusinessCalendar:
    return BusinessCalendar(OFFICE, "Europe/Luxembourg", country="LU")


# --- add: SLA deadlines ---------------------------------------------------------------------------


def test_urgent_4_business_hours_opened_friday_16h_is_due_monday_10h(office):
    # Friday 16:00-18:00 gives 2 hours, the weekend is closed, Monday 08:00-10:00 gives the other 2.
    assert_same(office.add(lux(2026, 3, 6, 16), timedelta(hours=4)), lux(2026, 3, 9, 10))
    assert office.elapsed(lux(2026, 3, 6, 16), lux(2026, 3, 9, 10)) == timedelta(hours=4)


def test_deadline_landing_exactly_on_closing_time_is_that_closing_time(office):
    # The earliest instant with 10 open hours is Monday 18:00, not Tuesday 08:00.
    assert_same(office.add(lux(2026, 3, 9, 8), timedelta(hours=10)), lux(2026, 3, 9, 18))


def test_ticket_opened_in_closed_time_starts_counting_at_next_opening(office):
    # Saturday 11:00 + 1 hour: the clock starts Monday 08:00.
    assert_same(office.add(lux(2026, 3, 7, 11), timedelta(hours=1)), lux(2026, 3, 9, 9))
    # Monday 06:00 + 30 minutes -> 08:30.
    assert_same(office.add(lux(2026, 3, 9, 6), timedelta(minutes=30)), lux(2026, 3, 9, 8, 30))


def test_zero_duration_returns_the_start_itself_even_when_closed(office):
    saturday = lux(2026, 3, 7, 11, 22, 33, 444_555)
    assert_same(office.add(saturday, timedelta(0)), saturday)
    tuesday = lux(2026, 3, 10, 9, 15)
    assert_same(office.add(tuesday, timedelta(0)), tuesday)


def test_luxembourg_national_day_is_skipped_with_country_lu(office, office_lu):
    # Monday 22 June 16:00 + 4h: 2h on Monday; Tuesday 23 June is National Day; 2h on Wednesday.
    start = lux(2026, 6, 22, 16)
    assert_same(office_lu.add(start, timedelta(hours=4)), lux(2026, 6, 24, 10))
    # Without the country's holidays, Tuesday is an ordinary day.
    assert_same(office.add(start, timedelta(hours=4)), lux(2026, 6, 23, 10))
    assert not office_lu.is_open(lux(2026, 6, 23, 12))
    assert office.is_open(lux(2026, 6, 23, 12))
    assert office_lu.elapsed(lux(2026, 6, 22), lux(2026, 6, 25)) == timedelta(hours=20)


def test_explicit_holidays_add_to_the_country_holidays():
    cal = BusinessCalendar(OFFICE, "Europe/Luxembourg", holidays=[date(2026, 6, 24)], country="LU")
    # Tuesday (National Day) and Wednesday (company closure) are both closed.
    assert_same(cal.add(lux(2026, 6, 22, 16), timedelta(hours=4)), lux(2026, 6, 25, 10))


def test_explicit_holidays_alone():
    cal = BusinessCalendar(OFFICE, "Europe/Luxembourg", holidays=(date(2026, 3, 9), date(2026, 3, 10)))
    assert_same(cal.add(lux(2026, 3, 6, 16), timedelta(hours=4)), lux(2026, 3, 11, 10))
    assert cal.elapsed(lux(2026, 3, 6), lux(2026, 3, 13)) == timedelta(hours=30)


def test_subdivision_holidays():
    # Epiphany (Tue 6 January 2026) is a public holiday in Bavaria, not in Berlin.
    bavaria = BusinessCalendar(OFFICE, "Europe/Berlin", country="DE", subdivision="BY")
    berlin = BusinessCalendar(OFFICE, "Europe/Berlin", country="DE", subdivision="BE")
    noon = datetime(2026, 1, 6, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert not bavaria.is_open(noon)
    assert berlin.is_open(noon)


def test_us_observed_independence_day_in_new_york():
    cal = BusinessCalendar("Mon-Fri 09:00-17:00", "America/New_York", country="US")
    # Thursday 2 July 2026 15:00 + 4h: 2h on Thursday; Friday 3 July is the observed holiday; 2h Monday.
    start = datetime(2026, 7, 2, 15, tzinfo=NEW_YORK)
    assert_same(cal.add(start, timedelta(hours=4)), datetime(2026, 7, 6, 11, tzinfo=NEW_YORK))


def test_split_day_lunch_break_and_short_saturday():
    cal = BusinessCalendar("Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00", "Europe/Luxembourg")
    # Friday 11:00 + 8h: 11:00-12:00 (1h) + 13:00-18:00 (5h) + Saturday 09:00-11:00 (2h).
    assert_same(cal.add(lux(2026, 3, 6, 11), timedelta(hours=8)), lux(2026, 3, 7, 11))
    assert not cal.is_open(lux(2026, 3, 6, 12, 30))
    assert cal.is_open(lux(2026, 3, 6, 7, 30))
    assert not cal.is_open(lux(2026, 3, 6, 18))
    assert_same(cal.next_open(lux(2026, 3, 6, 12, 0)), lux(2026, 3, 6, 13, 0))
    # A whole week: 5 x 9.5h + 3h.
    assert cal.elapsed(lux(2026, 3, 9), lux(2026, 3, 16)) == timedelta(hours=50.5)


def test_microseconds_are_exact(office):
    # One microsecond before closing + 1 µs = closing; + 2 µs = 1 µs after Monday's opening.
    last = lux(2026, 3, 6, 17, 59, 59, 999_999)
    assert_same(office.add(last, timedelta(microseconds=1)), lux(2026, 3, 6, 18))
    assert_same(office.add(last, timedelta(microseconds=2)), lux(2026, 3, 9, 8, 0, 0, 1))
    assert office.elapsed(last, lux(2026, 3, 9, 8, 0, 0, 1)) == timedelta(microseconds=2)
    start = lux(2026, 3, 9, 9, 0, 0, 123_456)
    assert_same(office.add(start, timedelta(microseconds=654_321)), lux(2026, 3, 9, 9, 0, 0, 777_777))


# --- elapsed --------------------------------------------------------------------------------------


def test_elapsed_is_zero_when_end_is_not_after_start(office):
    t = lux(2026, 3, 9, 10)
    assert office.elapsed(t, t) == timedelta(0)
    assert office.elapsed(t, t - timedelta(hours=5)) == timedelta(0)
    assert office.elapsed(lux(2026, 3, 10, 10), lux(2026, 3, 9, 10)) == timedelta(0)


def test_elapsed_counts_only_open_time(office):
    # Monday 07:00 to Wednesday 12:30: 10h + 10h + 4.5h.
    assert office.elapsed(lux(2026, 3, 9, 7), lux(2026, 3, 11, 12, 30)) == timedelta(hours=24.5)
    # A full week: 50h; the weekend alone: nothing.
    assert office.elapsed(lux(2026, 3, 9), lux(2026, 3, 16)) == timedelta(hours=50)
    assert office.elapsed(lux(2026, 3, 7), lux(2026, 3, 9)) == timedelta(0)


def test_inputs_in_other_zones_are_the_same_instants(office):
    # Friday 16:00 in Luxembourg (CET, UTC+1) is 15:00 UTC and 10:00 in New York (EST).
    start_utc = datetime(2026, 3, 6, 15, tzinfo=UTC)
    start_ny = datetime(2026, 3, 6, 10, tzinfo=NEW_YORK)
    start_fixed = datetime(2026, 3, 6, 20, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    for start in (start_utc, start_ny, start_fixed):
        assert_same(office.add(start, timedelta(hours=4)), lux(2026, 3, 9, 10))
        assert office.elapsed(start, datetime(2026, 3, 9, 9, tzinfo=UTC)) == timedelta(hours=4)


def test_results_are_aware_in_the_calendar_zone(office):
    for result in (
        office.add(datetime(2026, 3, 6, 15, tzinfo=UTC), timedelta(hours=1)),
        office.add(datetime(2026, 3, 6, 15, tzinfo=UTC), timedelta(0)),
        office.next_open(datetime(2026, 3, 7, 15, tzinfo=UTC)),
        office.next_open(datetime(2026, 3, 6, 15, tzinfo=UTC)),
        office.add_days(datetime(2026, 3, 6, 15, tzinfo=UTC), 2),
        office.add_days(datetime(2026, 3, 6, 15, tzinfo=UTC), 0),
    ):
        assert isinstance(result.tzinfo, ZoneInfo)
        assert result.tzinfo.key == "Europe/Luxembourg"


# --- is_open / next_open --------------------------------------------------------------------------


def test_is_open_uses_half_open_intervals(office):
    assert office.is_open(lux(2026, 3, 9, 8))
    assert office.is_open(lux(2026, 3, 9, 17, 59, 59, 999_999))
    assert not office.is_open(lux(2026, 3, 9, 18))
    assert not office.is_open(lux(2026, 3, 9, 7, 59, 59, 999_999))
    assert not office.is_open(lux(2026, 3, 7, 12))  # Saturday


def test_next_open(office):
    # Saturday noon -> Monday 08:00; an open instant is its own next opening.
    assert_same(office.next_open(lux(2026, 3, 7, 12)), lux(2026, 3, 9, 8))
    assert_same(office.next_open(lux(2026, 3, 9, 18)), lux(2026, 3, 10, 8))
    t = lux(2026, 3, 10, 9, 41, 3, 7)
    assert_same(office.next_open(t), t)


def test_next_open_skips_holidays(office_lu):
    # Monday 22 June 18:00 -> Wednesday 24 June 08:00 (Tuesday is National Day).
    assert_same(office_lu.next_open(lux(2026, 6, 22, 18)), lux(2026, 6, 24, 8))


# --- daylight saving time -------------------------------------------------------------------------


def test_24_7_calendar_is_real_time_across_dst():
    cal = BusinessCalendar("Mon-Sun 00:00-24:00", "Europe/Luxembourg")
    # Sunday 29 March has 23 hours, Sunday 25 October 25.
    assert cal.elapsed(lux(2026, 3, 29), lux(2026, 3, 30)) == timedelta(hours=23)
    assert cal.elapsed(lux(2026, 10, 25), lux(2026, 10, 26)) == timedelta(hours=25)
    # 24 real hours after Sunday 00:00 is Monday 01:00 in spring, Sunday 23:00 in autumn.
    assert_same(cal.add(lux(2026, 3, 29), timedelta(hours=24)), lux(2026, 3, 30, 1))
    assert_same(cal.add(lux(2026, 10, 25), timedelta(hours=24)), lux(2026, 10, 25, 23))
    # Through the repeated hour: 01:30 CEST + 2h = 02:30 CET (the second 02:30).
    assert_same(cal.add(lux(2026, 10, 25, 1, 30), timedelta(hours=2)), lux(2026, 10, 25, 2, 30, fold=1))


def test_hours_straddling_the_spring_forward_gap():
    cal = BusinessCalendar("Mon-Sun 01:30-03:30", "Europe/Luxembourg")
    # 29 March: 01:30-02:00 exists, 02:00-03:00 does not, 03:00-03:30 exists: 1 hour open.
    assert cal.elapsed(lux(2026, 3, 29), lux(2026, 3, 30)) == timedelta(hours=1)
    assert cal.elapsed(lux(2026, 3, 28), lux(2026, 3, 29)) == timedelta(hours=2)
    # 01:45 + 30 min: 15 min until the gap, then 15 min from 03:00.
    assert_same(cal.add(lux(2026, 3, 29, 1, 45), timedelta(minutes=30)), lux(2026, 3, 29, 3, 15))
    # 02:00 UTC is 04:00 CEST, closed; 01:00 UTC is 03:00 CEST, open.
    assert not cal.is_open(datetime(2026, 3, 29, 2, tzinfo=UTC))
    assert cal.is_open(datetime(2026, 3, 29, 1, tzinfo=UTC))


def test_hours_straddling_the_fall_back_repeated_hour():
    cal = BusinessCalendar("Mon-Sun 01:30-03:30", "Europe/Luxembourg")
    # 25 October: 01:30-02:00, 02:00-03:00 twice, 03:00-03:30: 3 hours open.
    assert cal.elapsed(lux(2026, 10, 25), lux(2026, 10, 26)) == timedelta(hours=3)
    # 01:30 CEST + 2h -> 02:30 CET (second pass).
    assert_same(cal.add(lux(2026, 10, 25, 1, 30), timedelta(hours=2)), lux(2026, 10, 25, 2, 30, fold=1))
    # + 3h -> 03:30 CET, the closing time.
    assert_same(cal.add(lux(2026, 10, 25, 1, 30), timedelta(hours=3)), lux(2026, 10, 25, 3, 30))


def test_both_passes_of_a_repeated_hour_are_open():
    cal = BusinessCalendar("Sun 02:00-04:00", "Europe/Luxembourg")
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second_0230 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert cal.is_open(first_0230)
    assert cal.is_open(second_0230)
    assert cal.elapsed(lux(2026, 10, 25), lux(2026, 10, 26)) == timedelta(hours=3)
    # In spring only 03:00-04:00 exists.
    assert cal.elapsed(lux(2026, 3, 29), lux(2026, 3, 30)) == timedelta(hours=1)
    assert_same(cal.next_open(lux(2026, 3, 29, 1, 59)), lux(2026, 3, 29, 3, 0))


def test_a_wall_time_in_the_gap_is_read_as_python_reads_it():
    # 02:30 on 29 March 2026 does not exist in Luxembourg. Python gives it the offset from before the
    # change with fold=0 (02:30 CET = 01:30 UTC) and the one after with fold=1 (02:30 CEST = 00:30 UTC).
    cal = BusinessCalendar("Mon-Sun 00:00-24:00", "Europe/Luxembourg")
    assert_same(cal.add(lux(2026, 3, 29, 2, 30), timedelta(hours=1)), lux(2026, 3, 29, 4, 30))
    assert_same(cal.add(lux(2026, 3, 29, 2, 30, fold=1), timedelta(hours=1)), lux(2026, 3, 29, 3, 30))
    # Results are always real wall times: the instant 01:30 UTC comes back as 03:30 CEST, even for a
    # zero duration or a next_open of an open instant.
    assert_same(cal.add(lux(2026, 3, 29, 2, 30), timedelta(0)), lux(2026, 3, 29, 3, 30))
    assert_same(cal.next_open(lux(2026, 3, 29, 2, 30)), lux(2026, 3, 29, 3, 30))
    assert_same(cal.add_days(lux(2026, 3, 29, 2, 30), 0), lux(2026, 3, 29, 3, 30))
    # Either pass of a repeated hour can be given with fold: 02:30 CEST (fold=0) is one hour before 02:30 CET.
    assert cal.elapsed(lux(2026, 10, 25, 2, 30), lux(2026, 10, 25, 2, 30, fold=1)) == timedelta(hours=1)


def test_tunis_2005_skipped_its_first_hour_of_1_may():
    # Tunis sprang forward at midnight on Sunday 1 May 2005: 00:00-01:00 never happened.
    cal = BusinessCalendar("Mon-Sun 00:00-01:00", "Africa/Tunis")
    assert cal.elapsed(
        datetime(2005, 4, 30, tzinfo=TUNIS), datetime(2005, 5, 1, 12, tzinfo=TUNIS)
    ) == timedelta(hours=1)
    # The next opening after Saturday 30 April 23:00 is Monday 2 May 00:00.
    assert_same(
        cal.next_open(datetime(2005, 4, 30, 23, 30, tzinfo=TUNIS)),
        datetime(2005, 5, 2, 0, 0, tzinfo=TUNIS),
    )


# --- add_days -------------------------------------------------------------------------------------


def test_friday_10h_plus_one_business_day_is_monday_10h(office):
    assert_same(office.add_days(lux(2026, 3, 6, 10), 1), lux(2026, 3, 9, 10))
    assert_same(office.add_days(lux(2026, 3, 6, 10), 5), lux(2026, 3, 13, 10))
    assert_same(office.add_days(lux(2026, 3, 6, 10, 15, 30, 250), 2), lux(2026, 3, 10, 10, 15, 30, 250))


def test_add_days_from_closed_time_starts_from_the_next_opening(office):
    # Saturday 11:00: p = Monday 08:00, so + 1 business day = Tuesday 08:00; + 0 = Monday 08:00.
    assert_same(office.add_days(lux(2026, 3, 7, 11), 1), lux(2026, 3, 10, 8))
    assert_same(office.add_days(lux(2026, 3, 7, 11), 0), lux(2026, 3, 9, 8))
    # Monday 19:00: p = Tuesday 08:00.
    assert_same(office.add_days(lux(2026, 3, 9, 19), 1), lux(2026, 3, 11, 8))


def test_add_days_clamps_to_a_shorter_day():
    cal = BusinessCalendar("Mon-Fri 08:00-18:00; Sat 09:00-12:00", "Europe/Luxembourg")
    # Friday 15:00 + 1 day: Saturday closes at 12:00, so Saturday 12:00.
    assert_same(cal.add_days(lux(2026, 3, 6, 15), 1), lux(2026, 3, 7, 12))
    # Friday 08:30 + 1 day: Saturday only opens at 09:00.
    assert_same(cal.add_days(lux(2026, 3, 6, 8, 30), 1), lux(2026, 3, 7, 9))
    # Friday 10:00 + 1 day: inside Saturday's hours, same time.
    assert_same(cal.add_days(lux(2026, 3, 6, 10), 1), lux(2026, 3, 7, 10))
    # Friday 15:00 + 2 days: Monday 15:00 (Sunday is not an open day).
    assert_same(cal.add_days(lux(2026, 3, 6, 15), 2), lux(2026, 3, 9, 15))


def test_add_days_skips_holidays(office_lu):
    # Monday 22 June 10:00 + 1 day: Tuesday is National Day, so Wednesday 10:00.
    assert_same(office_lu.add_days(lux(2026, 6, 22, 10), 1), lux(2026, 6, 24, 10))


def test_001_support_plan_every_day_9_to_21_in_lisbon():
    cal = BusinessCalendar("Mon-Sun 09:00-21:00", "Europe/Lisbon")
    saturday = datetime(2026, 3, 21, 20, tzinfo=LISBON)
    assert_same(cal.add_days(saturday, 2), datetime(2026, 3, 23, 20, tzinfo=LISBON))
    # Saturday 22:00 is closed: p = Sunday 09:00, + 1 = Monday 09:00.
    assert_same(
        cal.add_days(datetime(2026, 3, 21, 22, tzinfo=LISBON), 1), datetime(2026, 3, 23, 9, tzinfo=LISBON)
    )
    # Over the spring-forward night the wall time is kept: 10:00 WET + 1 day = 10:00 WEST, 23 real hours.
    before = datetime(2026, 3, 28, 10, tzinfo=LISBON)
    after = cal.add_days(before, 1)
    assert_same(after, datetime(2026, 3, 29, 10, tzinfo=LISBON))
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=23)
    # 12 business hours a day: Saturday 20:00 + 15h = 1h on Saturday, 12h on Sunday, 2h on Monday -> 11:00.
    assert_same(cal.add(saturday, timedelta(hours=15)), datetime(2026, 3, 23, 11, tzinfo=LISBON))


# --- accepted spec forms --------------------------------------------------------------------------

MONDAY = date(2026, 3, 9)  # a week with no DST change: Mon 9 .. Sun 15 March 2026


def day_at(weekday: int, hh: int, mm: int = 0, tz: ZoneInfo = LUX) -> datetime:
    d = MONDAY + timedelta(days=weekday)
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=tz)


def open_hours_per_weekday(cal: BusinessCalendar) -> list[timedelta]:
    return [cal.elapsed(day_at(wd, 0), day_at(wd, 0) + timedelta(days=1)) for wd in range(7)]


@pytest.mark.parametrize(
    ("spec", "hours"),
    [
        ("Mon-Fri 08:00-18:00", [10, 10, 10, 10, 10, 0, 0]),
        ("Mon-Sun 00:00-24:00", [24] * 7),
        ("Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00", [9.5] * 5 + [3, 0]),
        ("Sat 09:00-12:00", [0, 0, 0, 0, 0, 3, 0]),
        ("Lun-Ven 08:00-18:00", [10, 10, 10, 10, 10, 0, 0]),
        ("Lun-Dim 07:00-19:00", [12] * 7),
        ("mon-fri 08:00-18:00", [10, 10, 10, 10, 10, 0, 0]),
        ("MON-FRI 08:00-18:00", [10, 10, 10, 10, 10, 0, 0]),
        ("lun-VEN 08:00-18:00", [10, 10, 10, 10, 10, 0, 0]),
        ("Sun 22:00-24:00", [0, 0, 0, 0, 0, 0, 2]),
        (
            "Lun 01:00-02:00; Mar 01:00-03:00; Mer 01:00-04:00; Jeu 01:00-05:00; "
            "Ven 01:00-06:00; Sam 01:00-07:00; Dim 01:00-08:00",
            [1, 2, 3, 4, 5, 6, 7],
        ),
    ],
)
def test_accepted_spec_forms(spec, hours):
    cal = BusinessCalendar(spec, "Europe/Luxembourg")
    assert open_hours_per_weekday(cal) == [timedelta(hours=h) for h in hours]


def test_french_and_english_specs_agree():
    fr = BusinessCalendar("Lun-Ven 07:30-12:00,13:00-18:00; Sam 09:00-12:00", "Europe/Paris")
    en = BusinessCalendar("Mon-Fri 07:30-12:00,13:00-18:00; Sat 09:00-12:00", "Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    start = day_at(4, 11, tz=paris)
    for d in (timedelta(hours=1), timedelta(hours=6), timedelta(hours=8), timedelta(hours=40)):
        assert_same(fr.add(start, d), en.add(start, d))


def test_24_00_closes_at_midnight():
    cal = BusinessCalendar("Sun 22:00-24:00", "Europe/Luxembourg")
    sunday_late = day_at(6, 23, 59) + timedelta(seconds=59, microseconds=999_999)
    assert cal.is_open(sunday_late)
    assert not cal.is_open(sunday_late + timedelta(microseconds=1))  # Monday 00:00
    assert_same(cal.add(day_at(6, 22), timedelta(hours=2)), day_at(6, 0) + timedelta(days=1))


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "bad_part"),
    [
        ("Mon-Fri 8-18", "8-18"),
        ("Mon-Fri 18:00-08:00", "18:00-08:00"),
        ("Xyz 08:00-10:00", "Xyz"),
        ("Mon-Fri 08:00-25:00", "25:00"),
        ("Mon-Fri 08:00-12:00,11:00-14:00", "11:00-14:00"),
        ("Mon-Fri 08:00-18:00; Fri 17:00-20:00", "17:00-20:00"),
        ("Mon-Fri 08:60-18:00", "08:60"),
    ],
)
def test_malformed_spec_names_the_bad_part(spec, bad_part):
    with pytest.raises(ValueError, match=bad_part):
        BusinessCalendar(spec, "Europe/Luxembourg")


@pytest.mark.parametrize("spec", ["", "   "])
def test_empty_spec_is_rejected(spec):
    with pytest.raises(ValueError, match=r"\S"):
        BusinessCalendar(spec, "Europe/Luxembourg")


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="Europe/Nowhere"):
        BusinessCalendar(OFFICE, "Europe/Nowhere")


def test_unknown_country_is_rejected():
    with pytest.raises(ValueError, match="XX"):
        BusinessCalendar(OFFICE, "Europe/Luxembourg", country="XX")


def test_naive_datetimes_are_rejected(office):
    naive = datetime(2026, 3, 9, 10)
    aware = lux(2026, 3, 9, 10)
    with pytest.raises(ValueError):
        office.add(naive, timedelta(hours=1))
    with pytest.raises(ValueError):
        office.elapsed(naive, aware)
    with pytest.raises(ValueError):
        office.elapsed(aware, naive)
    with pytest.raises(ValueError):
        office.is_open(naive)
    with pytest.raises(ValueError):
        office.next_open(naive)
    with pytest.raises(ValueError):
        office.add_days(naive, 1)


def test_negative_durations_and_day_counts_are_rejected(office):
    with pytest.raises(ValueError):
        office.add(lux(2026, 3, 9, 10), timedelta(microseconds=-1))
    with pytest.raises(ValueError):
        office.add(lux(2026, 3, 9, 10), timedelta(hours=-4))
    with pytest.raises(ValueError):
        office.add_days(lux(2026, 3, 9, 10), -1)
