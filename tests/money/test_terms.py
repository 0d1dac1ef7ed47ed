"""Contract terms: month arithmetic, the earliest termination with notice, the claim window."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.money import add_months, claim_month

from .explained import earliest_termination

LU = ZoneInfo("Europe/Luxembourg")


def lu(*args) -> datetime:
    return datetime(*args, tzinfo=LU)


def test_add_months_clamps_to_the_last_day_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)


def test_add_months_crosses_years_both_ways():
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 1, 31), -2) == date(2025, 11, 30)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_the_documented_example_ends_with_the_next_term():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2026, 12, 20))
    assert (result.term_end, result.last_day, result.notice_deadline) == (
        date(2028, 1, 15),
        date(2028, 1, 14),
        date(2027, 12, 16),
    )
    assert result.explanation == (
        "Started 2026-01-15 with a 12-month commitment renewed every 12 months; "
        "a request on 2026-12-20 gives 30 days' notice by 2027-01-19, after the term ending 2027-01-15, "
        "so the service ends with the next term: last day 2028-01-14."
    )


def test_a_request_exactly_on_the_notice_deadline_ends_with_that_term():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2026, 12, 16))
    assert (result.notice_deadline, result.term_end, result.last_day) == (
        date(2026, 12, 16),
        date(2027, 1, 15),
        date(2027, 1, 14),
    )


def test_a_request_one_day_after_the_notice_deadline_ends_with_the_next_term():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2026, 12, 17))
    assert (result.term_end, result.last_day) == (date(2028, 1, 15), date(2028, 1, 14))


def test_a_request_early_in_the_commitment_ends_with_the_commitment():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2026, 3, 1))
    assert (result.term_end, result.last_day) == (date(2027, 1, 15), date(2027, 1, 14))
    assert result.explanation == (
        "Started 2026-01-15 with a 12-month commitment renewed every 12 months; "
        "a request on 2026-03-01 gives 30 days' notice by 2026-03-31, "
        "within the commitment ending 2027-01-15, so the service ends with it: last day 2027-01-14."
    )


def test_a_request_before_the_start_follows_the_same_rule():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2025, 12, 1))
    assert result.last_day == date(2027, 1, 14)


def test_a_contract_started_on_the_31st_keeps_its_day_after_a_short_month():
    # Monthly terms from 2026-01-31: ends 2026-02-28, then 2026-03-31 (not 2026-03-28: no drift).
    result = earliest_termination(
        start=date(2026, 1, 31),
        requested_on=date(2026, 2, 20),
        commitment_months=1,
        renewal_months=1,
        notice_days=10,
    )
    assert (result.term_end, result.last_day, result.notice_deadline) == (
        date(2026, 3, 31),
        date(2026, 3, 30),
        date(2026, 3, 21),
    )


def test_a_contract_started_on_29_february_renews_on_28_february_until_the_next_leap_year():
    result = earliest_termination(start=date(2024, 2, 29), requested_on=date(2027, 3, 1))
    assert (result.term_end, result.last_day) == (date(2028, 2, 29), date(2028, 2, 28))


def test_the_explanation_speaks_of_one_day_and_monthly_renewals_in_the_singular():
    result = earliest_termination(
        start=date(2026, 1, 10),
        requested_on=date(2026, 6, 1),
        commitment_months=3,
        renewal_months=1,
        notice_days=1,
    )
    assert result.explanation == (
        "Started 2026-01-10 with a 3-month commitment renewed every month; "
        "a request on 2026-06-01 gives 1 day's notice by 2026-06-02, after the term ending 2026-05-10, "
        "so the service ends with the next term: last day 2026-06-09."
    )


def test_zero_commitment_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        earliest_termination(start=date(2026, 1, 1), requested_on=date(2026, 2, 1), commitment_months=0)


def test_negative_notice_is_refused():
    with pytest.raises(ValueError, match="notice_days"):
        earliest_termination(start=date(2026, 1, 1), requested_on=date(2026, 2, 1), notice_days=-1)


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    offset=st.integers(-400, 4000),
    commitment=st.integers(1, 36),
    renewal=st.integers(1, 24),
    notice=st.integers(0, 120),
)
def test_the_service_ends_at_the_first_term_end_the_notice_allows(start, offset, commitment, renewal, notice):
    requested = start + timedelta(days=offset)
    result = earliest_termination(
        start=start,
        requested_on=requested,
        commitment_months=commitment,
        renewal_months=renewal,
        notice_days=notice,
    )
    notice_end = requested + timedelta(days=notice)
    term_ends = [add_months(start, commitment + k * renewal) for k in range(500)]
    end = result.last_day + timedelta(days=1)
    assert end == result.term_end
    assert end in term_ends
    assert end >= notice_end
    assert all(earlier < notice_end for earlier in term_ends if earlier < end)
    assert result.notice_deadline == end - timedelta(days=notice)
    assert requested <= result.notice_deadline


def test_a_claim_on_the_7th_at_23_59_59_local_is_for_the_month_before():
    assert claim_month(at=lu(2026, 3, 7, 23, 59, 59), tz=LU) == (2026, 2)


def test_a_claim_on_the_8th_at_midnight_local_is_refused():
    assert claim_month(at=lu(2026, 3, 8, 0, 0, 0), tz=LU) is None


def test_a_claim_in_early_january_is_for_december_of_the_year_before():
    assert claim_month(at=lu(2026, 1, 7, 23, 59, 59), tz=LU) == (2025, 12)


def test_a_claim_on_8_january_at_midnight_local_is_refused():
    assert claim_month(at=lu(2026, 1, 8), tz=LU) is None


def test_the_claim_window_follows_the_providers_time_zone_not_utc():
    # 2026-03-07 23:30 UTC is already 8 March 00:30 in Luxembourg; 2026-02-28 23:30 UTC is 1 March.
    assert claim_month(at=datetime(2026, 3, 7, 23, 30, tzinfo=UTC), tz=LU) is None
    assert claim_month(at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC), tz=LU) == (2026, 2)


def test_the_claim_window_length_is_configurable():
    assert claim_month(at=lu(2026, 5, 10, 12), tz=LU, window_days=10) == (2026, 4)


def test_a_naive_claim_instant_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        claim_month(at=datetime(2026, 3, 1), tz=LU)


def test_a_termination_after_the_commitment_explains_itself_in_french():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2026, 12, 20), language="fr")
    assert result.last_day == date(2028, 1, 14)
    assert result.explanation == (
        "Contrat commencé le 2026-01-15 avec un engagement de 12 mois renouvelé tous les 12 mois ; "
        "une demande le 2026-12-20 donne un préavis de 30 jours au 2027-01-19, "
        "après la fin de la période le 2027-01-15 : le service prend fin avec la période suivante, "
        "dernier jour le 2028-01-14."
    )


def test_a_termination_within_the_commitment_explains_itself_in_french():
    result = earliest_termination(start=date(2026, 1, 15), requested_on=date(2026, 3, 1), language="fr")
    assert result.last_day == date(2027, 1, 14)
    assert result.explanation == (
        "Contrat commencé le 2026-01-15 avec un engagement de 12 mois renouvelé tous les 12 mois ; "
        "une demande le 2026-03-01 donne un préavis de 30 jours au 2026-03-31, "
        "avant la fin de l'engagement le 2027-01-15 : le service prend fin avec lui, "
        "dernier jour le 2027-01-14."
    )


def test_the_french_explanation_speaks_of_one_day_and_monthly_renewals_in_the_singular():
    result = earliest_termination(
        start=date(2026, 1, 10),
        requested_on=date(2026, 6, 1),
        commitment_months=1,
        renewal_months=1,
        notice_days=1,
        language="fr",
    )
    assert result.explanation == (
        "Contrat commencé le 2026-01-10 avec un engagement de 1 mois renouvelé tous les mois ; "
        "une demande le 2026-06-01 donne un préavis de 1 jour au 2026-06-02, "
        "après la fin de la période le 2026-05-10 : le service prend fin avec la période suivante, "
        "dernier jour le 2026-06-09."
    )


@pytest.mark.parametrize("language", ["en", "de", ""])
def test_any_language_but_french_explains_a_termination_in_english(language):
    arguments = {"start": date(2026, 1, 15), "requested_on": date(2026, 12, 20)}
    french = earliest_termination(**arguments, language="fr")
    other = earliest_termination(**arguments, language=language)
    assert other.explanation == earliest_termination(**arguments).explanation
    assert (french.term_end, french.last_day, french.notice_deadline) == (
        other.term_end,
        other.last_day,
        other.notice_deadline,
    )
