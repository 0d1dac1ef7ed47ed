"""The money and contract maths over the whole calendar (issue 13): from 0001-01-01 to 9999-12-31, in zones
ahead of and behind UTC. Every function either answers correctly or raises ``OutOfRange`` when the answer
itself is not in the calendar; never ``OverflowError`` from deep inside ``date``, which the doors turned
into 500s."""

from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.money import (
    OutOfRange,
    add_months,
    claim_month,
    clip,
    earliest_termination,
    month_bounds,
    monthly_availability,
    prorate,
    total_seconds,
)

ZONES = [ZoneInfo(name) for name in ("UTC", "Europe/Luxembourg", "Pacific/Kiritimati", "America/New_York")]
zones = st.sampled_from(ZONES)
any_date = st.dates(min_value=date.min, max_value=date.max)
LAST_MONTH = MAXYEAR * 12 + 11  # December 9999 as a month index (year * 12 + month - 1)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def test_the_last_day_of_the_calendar_has_no_termination_to_give():
    with pytest.raises(OutOfRange, match="9999-12-31"):
        earliest_termination(start=date(2026, 1, 15), requested_on=date(9999, 12, 31))


def test_a_contract_whose_commitment_ends_past_the_calendar_has_no_termination_to_give():
    with pytest.raises(OutOfRange, match="ends after 9999-12-31"):
        earliest_termination(start=date(9999, 6, 1), requested_on=date(9999, 6, 2))


def test_moving_past_the_calendar_by_months_is_out_of_range():
    with pytest.raises(OutOfRange):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(OutOfRange):
        add_months(date(1, 1, 31), -1)


def test_the_first_and_last_months_of_the_calendar_have_bounds_only_where_they_fit():
    assert month_bounds(year=1, month=1, tz=ZoneInfo("America/New_York"))[0].year == 1
    with pytest.raises(OutOfRange):
        month_bounds(year=1, month=1, tz=ZoneInfo("Europe/Luxembourg"))
    with pytest.raises(OutOfRange):
        month_bounds(year=MAXYEAR, month=12, tz=UTC)


def test_instants_that_cannot_be_written_in_utc_are_out_of_range():
    with pytest.raises(OutOfRange, match="cannot be written in UTC"):
        total_seconds(
            [(datetime(1, 1, 1, tzinfo=ZoneInfo("Europe/Luxembourg")), datetime(2026, 1, 1, tzinfo=UTC))]
        )
    with pytest.raises(OutOfRange):
        claim_month(at=datetime.max.replace(tzinfo=UTC), tz=ZoneInfo("Europe/Luxembourg"))
    with pytest.raises(OutOfRange):
        claim_month(at=datetime(1, 1, 3, tzinfo=UTC), tz=UTC)  # no month before January of year 1


@settings(max_examples=400, deadline=None)
@given(day=any_date, months=st.integers(-LAST_MONTH - 24, LAST_MONTH + 24))
def test_add_months_lands_on_the_target_month_or_says_it_is_out_of_the_calendar(day, months):
    target = month_index(day) + months
    if not MINYEAR * 12 <= target <= LAST_MONTH:
        with pytest.raises(OutOfRange):
            add_months(day, months)
        return
    moved = add_months(day, months)
    assert month_index(moved) == target
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


@settings(max_examples=400, deadline=None)
@given(
    start=any_date,
    requested=any_date,
    commitment=st.integers(1, 120),
    renewal=st.integers(1, 120),
    notice=st.integers(0, 365),
)
def test_the_earliest_termination_holds_over_the_whole_calendar(
    start, requested, commitment, renewal, notice
):
    def term_end(k: int) -> date:
        return add_months(start, commitment + k * renewal)

    try:
        result = earliest_termination(
            start=start,
            requested_on=requested,
            commitment_months=commitment,
            renewal_months=renewal,
            notice_days=notice,
        )
    except OutOfRange:
        # Refused only when no term end in the calendar is late enough for the notice.
        if date.max - requested < timedelta(days=notice):
            return
        notice_end = requested + timedelta(days=notice)
        last_k = (LAST_MONTH - month_index(start) - commitment) // renewal
        assert last_k < 0 or term_end(last_k) < notice_end
        return
    notice_end = requested + timedelta(days=notice)
    end = result.term_end
    assert end == result.last_day + timedelta(days=1)
    assert end >= notice_end
    k = (month_index(end) - month_index(start) - commitment) // renewal
    assert term_end(k) == end
    assert k == 0 or term_end(k - 1) < notice_end
    assert result.notice_deadline == end - timedelta(days=notice)
    assert requested <= result.notice_deadline


# hypothesis takes naive bounds and gives each instant one of ``zones``.
any_instant = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=zones)  # noqa: DTZ901


@settings(max_examples=300, deadline=None)
@given(at=any_instant, tz=zones)
def test_the_claim_window_answers_for_any_instant_or_says_it_is_out_of_the_calendar(at, tz):
    try:
        claimed = claim_month(at=at, tz=tz)
    except OutOfRange:
        utc_offset = at.utcoffset() or timedelta(0)
        near_an_end = at.replace(tzinfo=None) - utc_offset
        assert near_an_end < datetime(1, 2, 2) or near_an_end > datetime(9999, 12, 30)
        return
    local = at.astimezone(tz)
    if local.day > 7:
        assert claimed is None
    else:
        assert claimed is not None
        year, month = claimed
        assert MINYEAR <= year <= MAXYEAR and (year * 12 + month) == local.year * 12 + local.month - 1


@settings(max_examples=300, deadline=None)
@given(year=st.integers(MINYEAR, MAXYEAR), month=st.integers(1, 12), tz=zones)
def test_every_month_of_the_calendar_has_bounds_or_is_one_of_its_two_ends(year, month, tz):
    try:
        start, end = month_bounds(year=year, month=month, tz=tz)
    except OutOfRange:
        assert (year, month) in ((MINYEAR, 1), (MAXYEAR, 12))
        return
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert timedelta(days=27) < end - start < timedelta(days=32)
    assert start.astimezone(tz).replace(tzinfo=None) == datetime(year, month, 1)


minute_pairs = st.lists(st.tuples(st.integers(-600, 45_000), st.integers(0, 3000)), max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    year=st.integers(MINYEAR, MAXYEAR),
    month=st.integers(1, 12),
    tz=zones,
    outage_pairs=minute_pairs,
    guarantee=st.decimals(min_value=95, max_value=100, places=3),
)
def test_availability_is_exact_in_any_month_of_the_calendar(year, month, tz, outage_pairs, guarantee):
    try:
        start, end = month_bounds(year=year, month=month, tz=tz)
    except OutOfRange:
        with pytest.raises(OutOfRange):
            monthly_availability(year=year, month=month, tz=tz, outages=[], guarantee=guarantee)
        return
    outages = []
    for first, length in outage_pairs:
        try:
            outages.append((start + timedelta(minutes=first), start + timedelta(minutes=first + length)))
        except OverflowError:
            continue  # a window before year 1 or after 9999 is no outage anyone could record
    result = monthly_availability(year=year, month=month, tz=tz, outages=outages, guarantee=guarantee)
    period = (end - start) // timedelta(seconds=1)
    down = total_seconds(clip(outages, start=start, end=end))
    exact = Fraction(100 * (period - down), period)
    assert (result.period_seconds, result.down_seconds) == (period, down)
    assert exact - Fraction("0.001") < Fraction(result.percent) <= exact
    assert result.met == (exact >= Fraction(guarantee))


@settings(max_examples=100, deadline=None)
@given(year=st.integers(-5, MAXYEAR + 5), month=st.integers(1, 12))
def test_prorating_a_month_outside_the_calendar_is_out_of_range(year, month):
    def whole_month() -> Decimal:
        return prorate(
            monthly_fee=Decimal(100),
            currency="EUR",
            year=year,
            month=month,
            first_day=date.min,
            last_day=date.max,
        )

    if MINYEAR <= year <= MAXYEAR:
        assert whole_month() == Decimal("100.00")
    else:
        with pytest.raises(OutOfRange):
            whole_month()
