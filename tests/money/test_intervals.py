"""Half-open intervals: merged, clipped, subtracted and measured in UTC, an overlap never counted twice."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.money import clip, merge, subtract, total_seconds
from guichet.money.intervals import format_duration

LU = ZoneInfo("Europe/Luxembourg")
ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def at(minute: int) -> datetime:
    return ORIGIN + timedelta(minutes=minute)


def span(first: int, last: int) -> tuple[datetime, datetime]:
    return at(first), at(last)


def minutes_covered(pairs) -> set[int]:
    """Reference: the set of whole minutes the integer-minute intervals cover (brute force)."""
    return {minute for first, last in pairs for minute in range(first, last)}


def minutes_of(intervals) -> set[int]:
    return minutes_covered(
        ((s - ORIGIN) // timedelta(minutes=1), (e - ORIGIN) // timedelta(minutes=1)) for s, e in intervals
    )


pairs = st.lists(st.tuples(st.integers(0, 120), st.integers(0, 120)), max_size=8)


def test_merge_joins_overlapping_and_touching_intervals_and_sorts_them():
    assert merge([span(50, 60), span(0, 10), span(5, 20), span(20, 30)]) == [span(0, 30), span(50, 60)]


def test_merge_drops_empty_and_reversed_intervals():
    assert merge([span(10, 10), span(30, 20), span(1, 2)]) == [span(1, 2)]


def test_merge_of_nothing_is_empty():
    assert merge([]) == []


def test_merge_returns_utc_datetimes():
    ((start, end),) = merge([(datetime(2026, 7, 1, 10, tzinfo=LU), datetime(2026, 7, 1, 11, tzinfo=LU))])
    assert (start, end) == (datetime(2026, 7, 1, 8, tzinfo=UTC), datetime(2026, 7, 1, 9, tzinfo=UTC))
    assert start.tzinfo is UTC


def test_merge_compares_instants_not_wall_clock_times_across_the_fall_back_hour():
    # 02:30 CEST (first pass, fold=0) is an hour before 02:10 CET (second pass, fold=1): they do not overlap.
    first = (datetime(2026, 10, 25, 2, 0, tzinfo=LU), datetime(2026, 10, 25, 2, 30, tzinfo=LU))
    second = (
        datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=LU),
        datetime(2026, 10, 25, 2, 20, fold=1, tzinfo=LU),
    )
    assert total_seconds([first, second]) == 40 * 60


def test_merge_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        merge([(datetime(2026, 1, 1), datetime(2026, 1, 2))])


def test_clip_cuts_the_merged_intervals_to_the_window():
    assert clip([span(0, 10), span(5, 30), span(40, 50), span(90, 99)], start=at(8), end=at(45)) == [
        span(8, 30),
        span(40, 45),
    ]


def test_clip_to_an_empty_window_is_empty():
    assert clip([span(0, 100)], start=at(50), end=at(50)) == []


def test_clip_refuses_a_naive_window():
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        clip([span(0, 10)], start=at(0), end=datetime(2026, 1, 2))


def test_subtract_splits_an_interval_around_a_hole():
    assert subtract([span(0, 60)], [span(20, 30)]) == [span(0, 20), span(30, 60)]


def test_subtract_a_hole_that_only_touches_removes_nothing():
    assert subtract([span(10, 20)], [span(0, 10), span(20, 30)]) == [span(10, 20)]


def test_subtract_a_hole_covering_everything_leaves_nothing():
    assert subtract([span(10, 20), span(30, 40)], [span(0, 50)]) == []


def test_subtract_one_hole_across_several_intervals():
    assert subtract([span(0, 10), span(20, 30), span(40, 50)], [span(5, 45)]) == [span(0, 5), span(45, 50)]


def test_total_seconds_counts_an_overlap_once():
    assert total_seconds([span(0, 60), span(30, 90)]) == 90 * 60


def test_total_seconds_measures_real_time_across_a_dst_change():
    # Luxembourg springs forward on 2026-03-29: local 00:00 to 04:00 is three hours.
    night = (datetime(2026, 3, 29, 0, tzinfo=LU), datetime(2026, 3, 29, 4, tzinfo=LU))
    assert total_seconds([night]) == 3 * 3600


def test_total_seconds_truncates_the_microseconds_of_the_total_not_of_each_interval():
    pieces = [
        (at(0), at(0) + timedelta(microseconds=600_000)),
        (at(1), at(1) + timedelta(microseconds=600_000)),
    ]
    assert total_seconds(pieces) == 1


def test_format_duration_shows_hours_and_minutes_and_only_non_zero_seconds():
    assert format_duration(2_674_800) == "743 h 00 min"
    assert format_duration(5400) == "1 h 30 min"
    assert format_duration(90) == "0 h 01 min 30 s"


def test_format_duration_refuses_a_negative_duration():
    with pytest.raises(ValueError, match="negative"):
        format_duration(-1)


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_merge_covers_exactly_the_union_with_sorted_separated_intervals(given_pairs):
    merged = merge([span(first, last) for first, last in given_pairs])
    assert minutes_of(merged) == minutes_covered(given_pairs)
    assert all(previous[1] < following[0] for previous, following in pairwise(merged))
    assert all(start < end for start, end in merged)


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_total_seconds_equals_a_minute_grid_count(given_pairs):
    assert total_seconds([span(first, last) for first, last in given_pairs]) == 60 * len(
        minutes_covered(given_pairs)
    )


@settings(max_examples=200, deadline=None)
@given(pairs, st.integers(0, 120), st.integers(0, 120))
def test_clip_keeps_exactly_the_minutes_inside_the_window(given_pairs, low, high):
    clipped = clip([span(first, last) for first, last in given_pairs], start=at(low), end=at(high))
    assert minutes_of(clipped) == minutes_covered(given_pairs) & set(range(low, high))


@settings(max_examples=200, deadline=None)
@given(pairs, pairs)
def test_subtract_removes_exactly_the_holes_and_never_adds_time(given_pairs, hole_pairs):
    intervals = [span(first, last) for first, last in given_pairs]
    result = subtract(intervals, [span(first, last) for first, last in hole_pairs])
    assert minutes_of(result) == minutes_covered(given_pairs) - minutes_covered(hole_pairs)
    assert total_seconds(result) <= total_seconds(intervals)
    assert not minutes_of(result) & minutes_covered(hole_pairs)
    assert result == merge(result)
