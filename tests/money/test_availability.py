"""Monthly availability: real-time months, downtime net of excluded windows, a percentage never flattering."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.money import month_bounds

from .explained import monthly_availability

LU = ZoneInfo("Europe/Luxembourg")
HOUR = 3600


def lu(*args) -> datetime:
    return datetime(*args, tzinfo=LU)


def hours(interval) -> Fraction:
    return Fraction((interval[1] - interval[0]) // timedelta(seconds=1), HOUR)


def test_march_2026_in_luxembourg_has_743_hours():
    assert hours(month_bounds(year=2026, month=3, tz=LU)) == 743


def test_october_2026_in_luxembourg_has_745_hours():
    assert hours(month_bounds(year=2026, month=10, tz=LU)) == 745


def test_a_month_without_dst_change_has_its_days_times_24_hours():
    assert hours(month_bounds(year=2026, month=1, tz=LU)) == 31 * 24


def test_month_bounds_are_local_midnights_returned_in_utc():
    start, end = month_bounds(year=2026, month=3, tz=LU)
    assert (start, end) == (datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC))
    assert start.tzinfo is UTC


def test_december_ends_at_the_first_of_january_of_the_next_year():
    assert month_bounds(year=2026, month=12, tz=LU)[1] == lu(2027, 1, 1)


def test_month_bounds_refuses_a_month_out_of_range():
    with pytest.raises(ValueError, match="month"):
        month_bounds(year=2026, month=13, tz=LU)


def test_the_documented_example_explains_itself_in_one_sentence():
    result = monthly_availability(
        year=2026,
        month=3,
        tz=LU,
        outages=[(lu(2026, 3, 4, 10), lu(2026, 3, 4, 11, 30))],
        guarantee=Decimal("99.80"),
    )
    assert (result.period_seconds, result.down_seconds, result.percent, result.met) == (
        743 * HOUR,
        90 * 60,
        Decimal("99.798"),
        False,
    )
    assert result.explain() == (
        "2026-03: 743 h 00 min in service, 1 h 30 min down "
        "(excluding planned maintenance and force majeure): 99.798 % against 99.80 % guaranteed: not met."
    )


def test_the_percent_is_rounded_down_so_a_missed_guarantee_never_shows_as_met():
    # January: 2 678 400 s. 5 357 s down leaves 99.79999253 %: shown 99.799, not 99.800.
    result = monthly_availability(
        year=2026,
        month=1,
        tz=LU,
        outages=[(lu(2026, 1, 5), lu(2026, 1, 5) + timedelta(seconds=5357))],
        guarantee=Decimal("99.80"),
    )
    assert (result.percent, result.met) == (Decimal("99.799"), False)


def test_a_guarantee_met_exactly_at_the_boundary_is_met():
    # 0.2 % of 2 678 400 s is 5 356.8 s: 5 356 s down is just within.
    result = monthly_availability(
        year=2026,
        month=1,
        tz=LU,
        outages=[(lu(2026, 1, 5), lu(2026, 1, 5) + timedelta(seconds=5356))],
        guarantee=Decimal("99.80"),
    )
    assert (result.percent, result.met) == (Decimal("99.800"), True)


def test_overlapping_outages_count_once():
    outages = [(lu(2026, 1, 5, 10), lu(2026, 1, 5, 12)), (lu(2026, 1, 5, 11), lu(2026, 1, 5, 13))]
    assert monthly_availability(year=2026, month=1, tz=LU, outages=outages).down_seconds == 3 * HOUR


def test_planned_maintenance_and_force_majeure_are_not_downtime():
    outages = [(lu(2026, 1, 5, 10), lu(2026, 1, 5, 14))]
    excluded = [(lu(2026, 1, 5, 9), lu(2026, 1, 5, 11)), (lu(2026, 1, 5, 12), lu(2026, 1, 5, 13))]
    assert monthly_availability(
        year=2026, month=1, tz=LU, outages=outages, excluded=excluded
    ).down_seconds == (2 * HOUR)


def test_an_outage_across_the_months_end_counts_only_its_part_in_the_month():
    outages = [(lu(2026, 1, 31, 23), lu(2026, 2, 1, 2))]
    january = monthly_availability(year=2026, month=1, tz=LU, outages=outages)
    february = monthly_availability(year=2026, month=2, tz=LU, outages=outages)
    assert (january.down_seconds, february.down_seconds) == (HOUR, 2 * HOUR)


def test_a_subscription_active_part_of_the_month_is_measured_on_that_part_only():
    result = monthly_availability(
        year=2026,
        month=1,
        tz=LU,
        outages=[(lu(2026, 1, 2), lu(2026, 1, 2, 5)), (lu(2026, 1, 20), lu(2026, 1, 20, 1))],
        active_from=lu(2026, 1, 11),
    )
    assert (result.start, result.period_seconds, result.down_seconds) == (
        lu(2026, 1, 11),
        21 * 24 * HOUR,
        HOUR,
    )


def test_a_partial_period_says_which_part_of_the_month_it_measured():
    result = monthly_availability(
        year=2026, month=1, tz=LU, outages=[], active_from=lu(2026, 1, 11), active_until=lu(2026, 1, 21, 12)
    )
    assert result.explain() == (
        "2026-01 (from 2026-01-11 00:00 to 2026-01-21 12:00): 252 h 00 min in service, 0 h 00 min down "
        "(excluding planned maintenance and force majeure): 100.000 %, no guarantee."
    )


def test_a_service_not_active_that_month_is_100_percent_and_meets_its_guarantee():
    result = monthly_availability(
        year=2026, month=3, tz=LU, outages=[], active_until=lu(2026, 2, 15), guarantee=Decimal("99.9")
    )
    assert (result.period_seconds, result.down_seconds, result.percent, result.met) == (
        0,
        0,
        Decimal(100),
        True,
    )
    assert result.explain() == "2026-03: not in service this month: 100.000 % against 99.9 % guaranteed: met."


def test_a_service_starting_after_the_month_is_not_in_service_that_month():
    result = monthly_availability(year=2026, month=3, tz=LU, outages=[], active_from=lu(2026, 5, 1))
    assert (result.start, result.end, result.met) == (lu(2026, 3, 1), lu(2026, 3, 1), None)


def test_without_a_guarantee_met_is_none():
    result = monthly_availability(year=2026, month=1, tz=LU, outages=[(lu(2026, 1, 5), lu(2026, 1, 6))])
    assert result.met is None
    assert result.explain().endswith("96.774 %, no guarantee.")


def test_a_month_entirely_down_is_zero_percent():
    result = monthly_availability(year=2026, month=2, tz=LU, outages=[(lu(2026, 1, 1), lu(2026, 4, 1))])
    assert (result.percent, result.down_seconds) == (Decimal("0.000"), 28 * 24 * HOUR)


def test_the_period_is_expressed_in_the_months_time_zone():
    assert monthly_availability(year=2026, month=3, tz=LU, outages=[]).start.tzinfo is LU


def test_a_naive_activation_date_is_refused():
    with pytest.raises(ValueError, match="active_from must be timezone-aware"):
        monthly_availability(year=2026, month=1, tz=LU, outages=[], active_from=datetime(2026, 1, 5))


def test_a_naive_outage_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        monthly_availability(
            year=2026, month=1, tz=LU, outages=[(datetime(2026, 1, 5), datetime(2026, 1, 6))]
        )


def test_a_guarantee_above_100_percent_is_refused():
    with pytest.raises(ValueError, match="guarantee"):
        monthly_availability(year=2026, month=1, tz=LU, outages=[], guarantee=Decimal("100.1"))


minute_pairs = st.lists(st.tuples(st.integers(-600, 45_000), st.integers(0, 3000)), max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    month=st.integers(1, 12),
    outage_pairs=minute_pairs,
    excluded_pairs=minute_pairs,
    guarantee=st.decimals(min_value=95, max_value=100, places=3),
    seconds=st.integers(0, 59),
)
def test_the_percent_is_in_range_never_above_the_exact_value_and_met_agrees_with_it(
    month, outage_pairs, excluded_pairs, guarantee, seconds
):
    start, end = month_bounds(year=2026, month=month, tz=LU)

    def intervals(pairs):
        return [
            (start + timedelta(minutes=first, seconds=seconds), start + timedelta(minutes=first + length))
            for first, length in pairs
        ]

    result = monthly_availability(
        year=2026,
        month=month,
        tz=LU,
        outages=intervals(outage_pairs),
        excluded=intervals(excluded_pairs),
        guarantee=guarantee,
    )
    period = (end - start) // timedelta(seconds=1)
    exact = Fraction(100 * (period - result.down_seconds), period)
    assert result.period_seconds == period
    assert Decimal(0) <= result.percent <= Decimal(100)
    assert exact - Fraction("0.001") < Fraction(result.percent) <= exact
    assert result.met == (exact >= Fraction(guarantee))


@settings(max_examples=150, deadline=None)
@given(outage_pairs=minute_pairs, excluded_pairs=minute_pairs)
def test_the_downtime_equals_a_minute_grid_count_of_outages_minus_excluded_windows(
    outage_pairs, excluded_pairs
):
    start, end = month_bounds(year=2026, month=10, tz=LU)
    month_minutes = set(range((end - start) // timedelta(minutes=1)))

    def grid(pairs):
        return {minute for first, length in pairs for minute in range(first, first + length)}

    def intervals(pairs):
        return [
            (start + timedelta(minutes=first), start + timedelta(minutes=first + length))
            for first, length in pairs
        ]

    result = monthly_availability(
        year=2026, month=10, tz=LU, outages=intervals(outage_pairs), excluded=intervals(excluded_pairs)
    )
    assert result.down_seconds == 60 * len((grid(outage_pairs) - grid(excluded_pairs)) & month_minutes)


def test_a_guarantee_not_met_is_explained_in_french():
    result = monthly_availability(
        year=2026,
        month=3,
        tz=LU,
        outages=[(lu(2026, 3, 4, 10), lu(2026, 3, 4, 11, 30))],
        guarantee=Decimal("99.80"),
    )
    assert result.explain("fr") == (
        "2026-03 : 743 h 00 min de service, 1 h 30 min d'indisponibilité "
        "(hors maintenance planifiée et force majeure) : 99.798 % pour 99.80 % garantis : non respecté."
    )


def test_a_guarantee_met_is_explained_in_french():
    result = monthly_availability(
        year=2026,
        month=1,
        tz=LU,
        outages=[(lu(2026, 1, 5), lu(2026, 1, 5) + timedelta(seconds=5356))],
        guarantee=Decimal("99.80"),
    )
    assert result.explain(language="fr") == (
        "2026-01 : 744 h 00 min de service, 1 h 29 min 16 s d'indisponibilité "
        "(hors maintenance planifiée et force majeure) : 99.800 % pour 99.80 % garantis : respecté."
    )


def test_a_partial_period_without_guarantee_is_explained_in_french():
    result = monthly_availability(
        year=2026, month=1, tz=LU, outages=[], active_from=lu(2026, 1, 11), active_until=lu(2026, 1, 21, 12)
    )
    assert result.explain("fr") == (
        "2026-01 (du 2026-01-11 00:00 au 2026-01-21 12:00) : 252 h 00 min de service, "
        "0 h 00 min d'indisponibilité (hors maintenance planifiée et force majeure) : 100.000 %, "
        "sans garantie."
    )


def test_a_month_not_in_service_is_explained_in_french():
    result = monthly_availability(
        year=2026, month=3, tz=LU, outages=[], active_until=lu(2026, 2, 15), guarantee=Decimal("99.9")
    )
    assert result.explain("fr") == (
        "2026-03 : pas en service ce mois-ci : 100.000 % pour 99.9 % garantis : respecté."
    )


@pytest.mark.parametrize("language", ["en", "de", ""])
def test_any_language_but_french_explains_availability_in_english(language):
    result = monthly_availability(year=2026, month=1, tz=LU, outages=[(lu(2026, 1, 5), lu(2026, 1, 6))])
    assert result.explain(language) == result.explain()
    assert result.explain(language).endswith("96.774 %, no guarantee.")
