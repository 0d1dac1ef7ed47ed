"""SLA clock maths: states, used time, due instants with pauses, explained."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.businesstime import BusinessCalendar
from guichet.businesstime.clocks import ClockState, Segment, evaluate, explain, target_duration

LU = ZoneInfo("Europe/Luxembourg")
CAL = BusinessCalendar("Mon-Fri 08:00-18:00", "Europe/Luxembourg", country="LU")
H = timedelta(hours=1)


def lu(*args):
    return datetime(*args, tzinfo=LU)


def test_a_running_clock_is_due_when_its_open_time_reaches_the_target():
    status = evaluate(CAL, 4 * H, [Segment(lu(2026, 11, 27, 16))], now=lu(2026, 11, 27, 17))
    assert status.state == ClockState.RUNNING
    assert status.used == H
    assert status.due_at == lu(2026, 11, 30, 10)  # Friday 16:00 + 4 business hours
    assert status.warn_at == lu(2026, 11, 30, 9)  # 75 % of 4 h = 3 h
    assert status.breached_at is None


def test_a_pause_pushes_the_due_instant_by_the_open_time_it_lasted():
    segments = [Segment(lu(2026, 11, 23, 9), lu(2026, 11, 23, 10)), Segment(lu(2026, 11, 23, 14))]
    status = evaluate(CAL, 4 * H, segments, now=lu(2026, 11, 23, 15))
    assert status.used == 2 * H
    assert status.due_at == lu(2026, 11, 23, 17)  # 1 h before the pause, 3 h from 14:00


def test_a_paused_clock_has_no_deadline():
    segments = [Segment(lu(2026, 11, 23, 9), lu(2026, 11, 23, 10))]
    status = evaluate(CAL, 4 * H, segments, now=lu(2026, 11, 25, 9))
    assert (status.state, status.used, status.due_at) == (ClockState.PAUSED, H, None)


def test_a_clock_stopped_before_its_due_instant_is_met_and_keeps_its_deadline():
    segments = [Segment(lu(2026, 11, 23, 9), lu(2026, 11, 23, 12))]
    status = evaluate(CAL, 4 * H, segments, now=lu(2026, 11, 24, 9), stopped=True)
    assert status.state == ClockState.MET
    assert status.due_at == lu(2026, 11, 23, 13)
    assert status.used == 3 * H


def test_a_clock_stopped_exactly_at_its_due_instant_is_met():
    segments = [Segment(lu(2026, 11, 23, 9), lu(2026, 11, 23, 13))]
    assert evaluate(CAL, 4 * H, segments, now=lu(2026, 11, 24), stopped=True).state == ClockState.MET


def test_a_late_stop_is_a_breach_at_the_due_instant():
    segments = [Segment(lu(2026, 11, 23, 9), lu(2026, 11, 23, 15))]
    status = evaluate(CAL, 4 * H, segments, now=lu(2026, 11, 24), stopped=True)
    assert status.state == ClockState.BREACHED
    assert status.breached_at == lu(2026, 11, 23, 13)


def test_a_running_clock_past_its_due_instant_is_breached():
    status = evaluate(CAL, 4 * H, [Segment(lu(2026, 11, 23, 9))], now=lu(2026, 11, 23, 13, 0, 1))
    assert status.state == ClockState.BREACHED
    assert status.breached_at == lu(2026, 11, 23, 13)


def test_a_clock_that_never_started_is_paused_with_nothing_used():
    status = evaluate(CAL, 4 * H, [], now=lu(2026, 11, 23, 13))
    assert (status.state, status.used, status.due_at) == (ClockState.PAUSED, timedelta(0), None)


def test_business_days_become_the_open_time_to_the_same_hour_n_days_later():
    # Monday 15:30 + 2 business days = Wednesday 15:30: 20 open hours.
    assert target_duration(CAL, lu(2026, 11, 23, 15, 30), days=2) == 20 * H
    assert target_duration(CAL, lu(2026, 11, 23, 15, 30), hours=4) == 4 * H


def test_bad_segments_are_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        evaluate(CAL, H, [Segment(lu(2026, 11, 23, 10), lu(2026, 11, 23, 9))], now=lu(2026, 11, 24))
    with pytest.raises(ValueError, match="starts before the previous one ends"):
        evaluate(
            CAL,
            H,
            [Segment(lu(2026, 11, 23, 9), lu(2026, 11, 23, 11)), Segment(lu(2026, 11, 23, 10))],
            now=lu(2026, 11, 24),
        )


def test_the_explanation_lists_the_open_periods_each_segment_counted():
    segments = [Segment(lu(2026, 11, 27, 16), lu(2026, 11, 30, 9)), Segment(lu(2026, 11, 30, 11))]
    parts = explain(CAL, segments, now=lu(2026, 11, 30, 12))
    assert parts[0].open_periods == [
        (lu(2026, 11, 27, 16), lu(2026, 11, 27, 18)),
        (lu(2026, 11, 30, 8), lu(2026, 11, 30, 9)),
    ]
    assert parts[0].counted == 3 * H
    assert parts[1].open_periods == [(lu(2026, 11, 30, 11), lu(2026, 11, 30, 12))]


instants = st.integers(0, 365 * 24 * 60).map(
    lambda m: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=m)
)
gaps = st.lists(st.integers(1, 5 * 24 * 60), min_size=1, max_size=7)


@settings(max_examples=200, deadline=None)
@given(start=instants, cuts=gaps, target_min=st.integers(1, 40 * 60), running=st.booleans())
def test_the_due_instant_is_where_the_counted_open_time_reaches_the_target(start, cuts, target_min, running):
    # Alternate running and paused stretches of the given lengths; the last stretch runs on if `running`.
    points = [start]
    for c in cuts:
        points.append(points[-1] + timedelta(minutes=c))
    segments = [Segment(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    if running:
        segments.append(Segment(points[-1] + timedelta(minutes=1)))
    now = points[-1] + timedelta(days=3)
    target = timedelta(minutes=target_min)
    status = evaluate(CAL, target, segments, now)
    used = sum((CAL.elapsed(s.start, s.end or now) for s in segments), timedelta(0))
    assert status.used == used
    if status.state == ClockState.BREACHED:
        # The open time counted up to the breach instant is exactly the target.
        counted = sum(
            (
                CAL.elapsed(s.start, min(s.end or now, status.breached_at))
                for s in segments
                if s.start <= status.breached_at
            ),
            timedelta(0),
        )
        assert counted == target
        assert used >= target
    elif status.state == ClockState.RUNNING:
        extended = [*segments[:-1], Segment(segments[-1].start, status.due_at)]
        assert sum((CAL.elapsed(s.start, s.end) for s in extended), timedelta(0)) == target
        assert used <= target
    else:
        assert status.state == ClockState.PAUSED
        assert used <= target
