"""Amounts: minor units, one rounding mode (half up), Money that never holds a float or a stray decimal."""

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.money import MINOR_UNITS, ROUNDING, Money, UnknownCurrency, minor_unit, quantize
from guichet.money.amounts import quantize_ratio

REQUIRED = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "MAD": 2,
    "XOF": 0,
    "XAF": 0,
    "JPY": 0,
    "TND": 3,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "LYD": 3,
}


def half_up(value: Fraction, places: int) -> Fraction:
    """Reference: ``value`` rounded half away from zero to ``places`` decimals, with fractions."""
    scaled = abs(value) * 10**places
    units = int(scaled + Fraction(1, 2))  # int() truncates: floor for a non-negative number
    return Fraction(units if value >= 0 else -units, 10**places)


def test_the_rounding_mode_is_commercial_half_up():
    assert ROUNDING == decimal.ROUND_HALF_UP


def test_the_minor_units_table_has_the_iso_4217_decimals_of_the_supported_currencies():
    assert {code: MINOR_UNITS[code] for code in REQUIRED} == REQUIRED


def test_minor_unit_ignores_the_case_of_the_code():
    assert (minor_unit("eur"), minor_unit("Tnd"), minor_unit("XOF")) == (2, 3, 0)


def test_an_unknown_currency_is_an_error_naming_the_code():
    with pytest.raises(UnknownCurrency, match="unknown currency 'XYZ'"):
        minor_unit("xyz")


def test_unknown_currency_is_a_value_error():
    assert issubclass(UnknownCurrency, ValueError)


def test_quantize_rounds_halves_up_to_the_minor_unit():
    assert quantize(Decimal("1.2345"), "TND") == Decimal("1.235")
    assert quantize(Decimal("0.005"), "EUR") == Decimal("0.01")
    assert quantize(Decimal("12.5"), "XOF") == Decimal("13")


def test_quantize_rounds_negative_halves_away_from_zero():
    assert quantize(Decimal("-0.005"), "EUR") == Decimal("-0.01")


def test_quantize_rounds_just_below_a_half_down():
    assert quantize(Decimal("0.0049999"), "EUR") == Decimal("0.00")


def test_quantize_gives_exactly_the_minor_units_digits():
    assert str(quantize(Decimal(40), "EUR")) == "40.00"
    assert str(quantize(Decimal("40.0000"), "XOF")) == "40"


def test_quantize_never_gives_a_negative_zero():
    assert str(quantize(Decimal("-0.001"), "EUR")) == "0.00"


def test_quantize_is_exact_beyond_the_decimal_contexts_28_digits():
    amount = Decimal("1234567890123456789012345678901.235")
    assert quantize(amount, "EUR") == Decimal("1234567890123456789012345678901.24")


def test_quantize_ratio_rounds_the_exact_fraction_once():
    assert quantize_ratio(numerator=1, denominator=3, currency="EUR") == Decimal("0.33")
    assert quantize_ratio(numerator=2, denominator=3, currency="EUR") == Decimal("0.67")
    assert quantize_ratio(numerator=1, denominator=8, currency="EUR") == Decimal("0.13")


def test_quantize_ratio_refuses_a_zero_denominator():
    with pytest.raises(ZeroDivisionError):
        quantize_ratio(numerator=1, denominator=0, currency="EUR")


@settings(max_examples=300, deadline=None)
@given(
    numerator=st.decimals(min_value=-(10**9), max_value=10**9, places=6),
    denominator=st.integers(min_value=1, max_value=10_000) | st.integers(min_value=-10_000, max_value=-1),
    currency=st.sampled_from(sorted(REQUIRED)),
)
def test_quantize_ratio_equals_the_fraction_rounded_half_up(numerator, denominator, currency):
    expected = half_up(Fraction(numerator) / denominator, REQUIRED[currency])
    assert (
        Fraction(quantize_ratio(numerator=numerator, denominator=denominator, currency=currency)) == expected
    )


@settings(max_examples=300, deadline=None)
@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=7),
    currency=st.sampled_from(sorted(REQUIRED)),
)
def test_quantize_agrees_with_decimal_quantize_half_up(amount, currency):
    exponent = Decimal(1).scaleb(-REQUIRED[currency])
    assert quantize(amount, currency) == amount.quantize(exponent, rounding=decimal.ROUND_HALF_UP)


def test_money_of_rounds_to_the_minor_unit():
    assert Money.of("1.2345", "TND") == Money(Decimal("1.235"), "TND")
    assert Money.of(Decimal("12.5"), "XOF").amount == Decimal(13)
    assert Money.of(40, "EUR").amount == Decimal("40.00")


def test_money_of_refuses_a_float():
    with pytest.raises(TypeError, match="never float"):
        Money.of(0.1, "EUR")  # type: ignore[arg-type]


def test_money_of_refuses_a_string_that_is_not_a_number():
    with pytest.raises(ValueError, match="not a decimal amount"):
        Money.of("ten", "EUR")


def test_money_of_refuses_an_infinite_amount():
    with pytest.raises(ValueError, match="finite"):
        Money.of("Infinity", "EUR")


def test_money_of_refuses_an_unknown_currency():
    with pytest.raises(UnknownCurrency):
        Money.of(1, "XYZ")


def test_money_built_directly_is_normalised_to_the_minor_unit_and_upper_case():
    money = Money(Decimal(40), "eur")
    assert (str(money.amount), money.currency) == ("40.00", "EUR")


def test_money_built_directly_refuses_an_amount_that_would_need_rounding():
    with pytest.raises(ValueError, match=r"Money\.of"):
        Money(Decimal("40.001"), "EUR")


def test_money_built_directly_refuses_a_float():
    with pytest.raises(TypeError):
        Money(0.5, "EUR")  # type: ignore[arg-type]


def test_money_adds_subtracts_and_negates_in_one_currency():
    ten, three = Money.of("10", "EUR"), Money.of("3.5", "EUR")
    assert ten + three == Money.of("13.50", "EUR")
    assert ten - three == Money.of("6.50", "EUR")
    assert -three == Money.of("-3.50", "EUR")


def test_money_refuses_to_add_different_currencies_naming_both():
    with pytest.raises(ValueError, match=r"10\.00 EUR and 5\.00 USD"):
        Money.of(10, "EUR") + Money.of(5, "USD")


def test_money_refuses_to_subtract_different_currencies():
    with pytest.raises(ValueError, match="EUR and USD differ"):
        Money.of(10, "EUR") - Money.of(5, "USD")


def test_money_is_zero_only_for_a_zero_amount():
    assert Money.of(0, "EUR").is_zero()
    assert not Money.of("0.01", "EUR").is_zero()


def test_money_prints_the_minor_units_digits_and_the_code():
    assert str(Money.of(40, "EUR")) == "40.00 EUR"
    assert str(Money.of("1.2345", "TND")) == "1.235 TND"
    assert str(Money.of("12.5", "XOF")) == "13 XOF"


def test_negated_zero_money_prints_without_a_minus_sign():
    assert str(-Money.of(0, "EUR")) == "0.00 EUR"
