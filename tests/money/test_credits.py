"""Credits: downtime credits to the started minute and capped per month, quality tiers, proration."""

import calendar
from datetime import MAXYEAR, MINYEAR, date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.money import Credit, DiscountTier, UnknownCurrency, prorate

from .explained import downtime_credit, quality_discount

D = Decimal
TIMES = "\N{MULTIPLICATION SIGN}"  # the explanations use a real multiplication sign
HOUR = 3600
PLACES = {"EUR": 2, "XOF": 0, "TND": 3}
TIERS = [DiscountTier(D(20), D(25)), DiscountTier(D(10), D(10)), DiscountTier(D(5), D(5))]


def credit(**overrides) -> Credit:
    arguments = {
        "monthly_fee": D(100),
        "currency": "EUR",
        "rate_percent_per_hour": D(20),
        "down_seconds": 2 * HOUR,
        "cap_percent": None,
    } | overrides
    return downtime_credit(**arguments)


def half_up(value: Fraction, places: int) -> Fraction:
    """Reference rounding for non-negative fractions: half up to ``places`` decimals."""
    return Fraction(int(value * 10**places + Fraction(1, 2)), 10**places)


def test_20_percent_per_hour_of_100_eur_for_2_hours_is_40_eur():
    result = credit()
    assert (result.amount, result.uncapped, result.cap, result.capped, result.minutes) == (
        D("40.00"),
        D("40.00"),
        None,
        False,
        120,
    )
    assert result.explanation == f"20 % of 100.00 EUR per hour {TIMES} 2 h 00 min = 40.00 EUR"


def test_a_credit_below_the_cap_is_not_capped():
    result = credit(cap_percent=D(50))
    assert (result.amount, result.cap, result.capped) == (D("40.00"), D("50.00"), False)


def test_5_hours_with_a_50_percent_cap_credits_the_cap():
    result = credit(down_seconds=5 * HOUR, cap_percent=D(50))
    assert (result.uncapped, result.amount, result.cap, result.capped) == (
        D("100.00"),
        D("50.00"),
        D("50.00"),
        True,
    )
    assert result.explanation == (
        f"20 % of 100.00 EUR per hour {TIMES} 5 h 00 min = 100.00 EUR, "
        "capped at 50 % of the monthly fee (50.00 EUR) = 50.00 EUR"
    )


def test_what_was_already_credited_this_month_comes_off_the_cap():
    result = credit(down_seconds=5 * HOUR, cap_percent=D(50), already_credited=D(40))
    assert (result.amount, result.capped) == (D("10.00"), True)
    assert result.explanation == (
        f"20 % of 100.00 EUR per hour {TIMES} 5 h 00 min = 100.00 EUR, capped at 50 % of the monthly fee "
        "(50.00 EUR, 40.00 EUR already credited this month) = 10.00 EUR"
    )


def test_a_cap_already_used_up_leaves_nothing_to_credit():
    result = credit(cap_percent=D(50), already_credited=D(60))
    assert (result.amount, str(result.amount), result.capped) == (D(0), "0.00", True)


def test_a_started_minute_counts_as_a_whole_minute():
    result = credit(down_seconds=HOUR + 1)
    assert (result.minutes, result.amount) == (61, D("20.33"))
    assert result.explanation == (
        f"20 % of 100.00 EUR per hour {TIMES} 1 h 01 min "
        "(1 h 00 min 01 s, a started minute counts) = 20.33 EUR"
    )


def test_no_downtime_credits_nothing():
    result = credit(down_seconds=0, cap_percent=D(50))
    assert (result.amount, result.minutes, result.capped) == (D("0.00"), 0, False)


def test_the_credit_is_rounded_once_at_the_end_not_per_minute():
    # 10 % of 100 EUR per hour is 1/6 EUR a minute; 7 minutes are 1.1666... -> 1.17.
    # Rounding the per-minute rate first would give 7 times 0.17 = 1.19.
    assert credit(rate_percent_per_hour=D(10), down_seconds=7 * 60).amount == D("1.17")


def test_an_exact_half_of_a_cent_is_rounded_up():
    # 3 % of 10 EUR per hour for one minute is exactly 0.005 EUR.
    assert credit(monthly_fee=D(10), rate_percent_per_hour=D(3), down_seconds=60).amount == D("0.01")


def test_credits_in_a_currency_without_decimals_are_whole_units():
    result = credit(monthly_fee=D(10_000), currency="xof", down_seconds=91 * 60 - 30)
    assert (result.amount, result.currency) == (D(3033), "XOF")
    assert result.explanation.endswith("= 3033 XOF")


def test_credits_in_a_three_decimal_currency_keep_three_decimals():
    assert str(credit(monthly_fee=D("100.001"), currency="TND", down_seconds=60).amount) == "0.333"


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("monthly_fee", D(-1)),
        ("rate_percent_per_hour", D("-0.5")),
        ("down_seconds", -1),
        ("cap_percent", D(-10)),
        ("already_credited", D("-0.01")),
    ],
)
def test_a_negative_argument_is_refused_by_name(argument, value):
    with pytest.raises(ValueError, match=f"{argument} must not be negative"):
        credit(**{argument: value})


def test_a_float_fee_is_refused():
    with pytest.raises(TypeError, match="monthly_fee"):
        credit(monthly_fee=100.0)


def test_an_unknown_currency_is_refused():
    with pytest.raises(UnknownCurrency):
        credit(currency="XYZ")


fees = st.decimals(min_value=0, max_value=100_000, places=2)
rates = st.decimals(min_value=0, max_value=100, places=2)
# Up to the whole calendar (0001-01-01 to 9999-12-31): an outage cannot be longer than that.
WHOLE_CALENDAR = ((date.max - date.min).days + 1) * 24 * HOUR
outage_seconds = st.integers(0, WHOLE_CALENDAR)


@settings(max_examples=200, deadline=None)
@given(fee=fees, rate=rates, seconds=outage_seconds, more=outage_seconds)
def test_the_uncapped_credit_is_the_exact_fraction_rounded_once_and_grows_with_the_outage(
    fee, rate, seconds, more
):
    result = credit(monthly_fee=fee, rate_percent_per_hour=rate, down_seconds=seconds)
    longer = credit(monthly_fee=fee, rate_percent_per_hour=rate, down_seconds=seconds + more)
    minutes = -(-seconds // 60)
    assert Fraction(result.amount) == half_up(Fraction(fee) * Fraction(rate) / 100 * Fraction(minutes, 60), 2)
    assert result.amount == result.uncapped
    assert D(0) <= result.amount <= longer.amount
    assert result.amount.as_tuple().exponent == -2


@settings(max_examples=200, deadline=None)
@given(
    fee=fees,
    rate=rates,
    seconds=outage_seconds,
    more=outage_seconds,
    cap=st.decimals(min_value=0, max_value=100, places=1),
    already=st.decimals(min_value=0, max_value=100_000, places=2),
)
def test_the_capped_credit_is_monotonic_never_above_the_room_left_and_never_negative(
    fee, rate, seconds, more, cap, already
):
    def capped_credit(down_seconds: int) -> Credit:
        return credit(
            monthly_fee=fee,
            rate_percent_per_hour=rate,
            down_seconds=down_seconds,
            cap_percent=cap,
            already_credited=already,
        )

    result, longer = capped_credit(seconds), capped_credit(seconds + more)
    cap_amount = half_up(Fraction(fee) * Fraction(cap) / 100, 2)
    room = max(cap_amount - Fraction(already), Fraction(0))
    assert Fraction(result.cap) == cap_amount
    assert Fraction(result.amount) == min(Fraction(result.uncapped), room)
    assert D(0) <= result.amount <= longer.amount
    assert result.capped == (result.amount < result.uncapped)
    assert result.amount.as_tuple().exponent == -2


def test_the_documented_latency_discount():
    result = quality_discount(
        monthly_fee=D(1000), currency="EUR", objective=D(50), measured=D(63), tiers=TIERS, unit="ms"
    )
    assert (result.amount, result.uncapped, result.minutes, result.cap, result.capped) == (
        D("100.00"),
        D("100.00"),
        0,
        None,
        False,
    )
    assert result.explanation == (
        "measured 63 ms against 50 ms objective (13 ms over): "
        "tier from 10 ms, 10 % of 1000.00 EUR = 100.00 EUR"
    )


def test_the_further_from_the_objective_the_bigger_the_discount():
    amounts = [
        quality_discount(
            monthly_fee=D(1000), currency="EUR", objective=D(50), measured=D(m), tiers=TIERS
        ).amount
        for m in (50, 54, 55, 69, 70, 200)
    ]
    assert amounts == [D(0), D(0), D(50), D(100), D(250), D(250)]


def test_tiers_may_be_given_in_any_order():
    result = quality_discount(
        monthly_fee=D(1000), currency="EUR", objective=D(50), measured=D(63), tiers=list(reversed(TIERS))
    )
    assert result.amount == D("100.00")


def test_meeting_the_objective_gives_no_discount():
    result = quality_discount(
        monthly_fee=D(1000), currency="EUR", objective=D(50), measured=D(41), tiers=TIERS, unit="ms"
    )
    assert (result.amount, result.explanation) == (
        D("0.00"),
        "measured 41 ms against 50 ms objective: objective met, no discount",
    )


def test_a_miss_below_the_first_tier_gives_no_discount():
    result = quality_discount(
        monthly_fee=D(1000), currency="EUR", objective=D(50), measured=D("52.5"), tiers=TIERS, unit="ms"
    )
    assert (result.amount, result.explanation) == (
        D("0.00"),
        "measured 52.5 ms against 50 ms objective (2.5 ms over): below the first tier (from 5 ms), "
        "no discount",
    )


def test_when_lower_is_worse_the_miss_is_below_the_objective():
    result = quality_discount(
        monthly_fee=D(1000),
        currency="EUR",
        objective=D("99.9"),
        measured=D("99.3"),
        tiers=[DiscountTier(D("0.5"), D(15))],
        higher_is_worse=False,
        unit="%",
    )
    assert result.amount == D("150.00")
    assert result.explanation.startswith("measured 99.3 % against 99.9 % objective (0.6 % under)")


def test_the_discount_is_rounded_half_up_to_the_minor_unit():
    result = quality_discount(
        monthly_fee=D("0.10"), currency="EUR", objective=D(0), measured=D(1), tiers=[DiscountTier(D(1), D(5))]
    )
    assert result.amount == D("0.01")


def test_two_tiers_starting_at_the_same_miss_are_refused():
    with pytest.raises(ValueError, match="same miss"):
        quality_discount(
            monthly_fee=D(1000),
            currency="EUR",
            objective=D(50),
            measured=D(63),
            tiers=[DiscountTier(D(10), D(10)), DiscountTier(D(10), D(20))],
        )


def test_a_tier_above_100_percent_is_refused():
    with pytest.raises(ValueError, match="discount_percent"):
        DiscountTier(D(10), D(101))


def test_a_whole_month_prorates_to_exactly_the_fee():
    fee = prorate(
        monthly_fee=D("99.99"),
        currency="EUR",
        year=2026,
        month=2,
        first_day=date(2026, 2, 1),
        last_day=date(2026, 2, 28),
    )
    assert fee == D("99.99")


def test_days_outside_the_month_are_not_billed():
    fee = prorate(
        monthly_fee=D(100),
        currency="EUR",
        year=2026,
        month=2,
        first_day=date(2026, 2, 15),
        last_day=date(2026, 5, 1),
    )
    assert fee == D("50.00")


def test_a_period_outside_the_month_prorates_to_zero():
    fee = prorate(
        monthly_fee=D(100),
        currency="EUR",
        year=2026,
        month=2,
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 9),
    )
    assert str(fee) == "0.00"


def test_one_day_of_31_is_rounded_once_half_up():
    fee = prorate(
        monthly_fee=D(100),
        currency="EUR",
        year=2026,
        month=1,
        first_day=date(2026, 1, 9),
        last_day=date(2026, 1, 9),
    )
    assert fee == D("3.23")


def test_a_negative_fee_cannot_be_prorated():
    with pytest.raises(ValueError, match="monthly_fee"):
        prorate(
            monthly_fee=D(-1),
            currency="EUR",
            year=2026,
            month=1,
            first_day=date(2026, 1, 1),
            last_day=date(2026, 1, 9),
        )


@settings(max_examples=200, deadline=None)
@given(
    fee=st.decimals(min_value=0, max_value=100_000, places=3),
    year=st.integers(MINYEAR, MAXYEAR),
    month=st.integers(1, 12),
    cuts=st.sets(st.integers(2, 31), max_size=6),
    currency=st.sampled_from(sorted(PLACES)),
)
def test_prorates_of_a_partition_of_the_month_add_up_to_the_fee_within_half_a_minor_unit_each(
    fee, year, month, cuts, currency
):
    days = calendar.monthrange(year, month)[1]
    starts = [1, *sorted(cut for cut in cuts if cut <= days)]
    ends = [*starts[1:], days + 1]
    parts = [
        prorate(
            monthly_fee=fee,
            currency=currency,
            year=year,
            month=month,
            first_day=date(year, month, first),
            last_day=date(year, month, 1) + timedelta(days=end - 2),
        )
        for first, end in zip(starts, ends, strict=True)
    ]
    whole = prorate(
        monthly_fee=fee,
        currency=currency,
        year=year,
        month=month,
        first_day=date(year, month, 1),
        last_day=date(year, month, days),
    )
    half_unit = Fraction(1, 2) / 10 ** PLACES[currency]
    assert Fraction(whole) == half_up(Fraction(fee), PLACES[currency])
    assert abs(Fraction(sum(parts)) - Fraction(fee)) <= len(parts) * half_unit


def test_a_credit_explains_itself_in_french():
    result = credit(language="fr")
    assert result.amount == D("40.00")
    assert result.explanation == f"20 % de 100.00 EUR par heure {TIMES} 2 h 00 min = 40.00 EUR"


def test_a_capped_credit_explains_itself_in_french():
    result = credit(down_seconds=5 * HOUR, cap_percent=D(50), language="fr")
    assert result.explanation == (
        f"20 % de 100.00 EUR par heure {TIMES} 5 h 00 min = 100.00 EUR, "
        "plafonné à 50 % de la redevance mensuelle (50.00 EUR) = 50.00 EUR"
    )


def test_a_cap_partly_used_explains_itself_in_french():
    result = credit(down_seconds=5 * HOUR, cap_percent=D(50), already_credited=D(40), language="fr")
    assert (result.amount, result.capped) == (D("10.00"), True)
    assert result.explanation == (
        f"20 % de 100.00 EUR par heure {TIMES} 5 h 00 min = 100.00 EUR, plafonné à 50 % de la redevance "
        "mensuelle (50.00 EUR, dont 40.00 EUR déjà crédités ce mois-ci) = 10.00 EUR"
    )


def test_a_started_minute_is_explained_in_french():
    result = credit(down_seconds=HOUR + 1, language="fr")
    assert result.explanation == (
        f"20 % de 100.00 EUR par heure {TIMES} 1 h 01 min "
        "(1 h 00 min 01 s, toute minute commencée compte) = 20.33 EUR"
    )


@pytest.mark.parametrize("language", ["en", "de", "", "FR"])
def test_any_language_but_french_explains_in_english(language):
    assert credit(language=language).explanation == credit().explanation


def latency(measured: Decimal, **overrides) -> Credit:
    arguments = {
        "monthly_fee": D(1000),
        "currency": "EUR",
        "objective": D(50),
        "measured": measured,
        "tiers": TIERS,
        "unit": "ms",
        "language": "fr",
    } | overrides
    return quality_discount(**arguments)


def test_a_latency_discount_explains_itself_in_french():
    result = latency(D(63))
    assert (result.amount, result.explanation) == (
        D("100.00"),
        "mesuré 63 ms pour un objectif de 50 ms (13 ms au-dessus) : "
        "palier à partir de 10 ms, 10 % de 1000.00 EUR = 100.00 EUR",
    )


def test_an_objective_met_explains_itself_in_french():
    assert latency(D(41)).explanation == (
        "mesuré 41 ms pour un objectif de 50 ms : objectif respecté, pas de remise"
    )


def test_a_miss_below_the_first_tier_explains_itself_in_french():
    assert latency(D("52.5")).explanation == (
        "mesuré 52.5 ms pour un objectif de 50 ms (2.5 ms au-dessus) : "
        "sous le premier palier (à partir de 5 ms), pas de remise"
    )


def test_a_miss_under_the_objective_explains_itself_in_french():
    result = latency(
        D("99.3"),
        objective=D("99.9"),
        tiers=[DiscountTier(D("0.5"), D(15))],
        higher_is_worse=False,
        unit="%",
    )
    assert (result.amount, result.explanation) == (
        D("150.00"),
        "mesuré 99.3 % pour un objectif de 99.9 % (0.6 % en dessous) : "
        "palier à partir de 0.5 %, 15 % de 1000.00 EUR = 150.00 EUR",
    )


def test_a_french_discount_has_the_same_amounts_as_an_english_one():
    for measured in (D(41), D("52.5"), D(63), D(200)):
        french, english = latency(measured), latency(measured, language="en")
        assert (french.amount, french.uncapped, french.capped) == (
            english.amount,
            english.uncapped,
            english.capped,
        )
