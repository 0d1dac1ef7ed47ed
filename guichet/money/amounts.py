"""Amounts of money: ``Decimal`` only, rounded to the currency's minor unit with one rounding mode.

Every amount Guichet shows or stores is rounded exactly once, at the end of a computation, to the minor
unit of its currency (ISO 4217: cents for EUR, none for XOF, thousandths for TND), with ``ROUNDING``.
Intermediate results are never rounded: ``quantize_ratio`` rounds an exact fraction, computed with integers,
so a rate divided by 60 minutes cannot pick up a second, hidden rounding on the way.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "MINOR_UNITS",
    "ROUNDING",
    "Money",
    "UnknownCurrency",
    "minor_unit",
    "quantize",
    "quantize_ratio",
]

# Commercial rounding: a half goes away from zero (0.005 EUR -> 0.01 EUR). It is the convention invoices,
# accounting software and customers expect; banker's rounding (HALF_EVEN) would surprise them on a credit.
ROUNDING = decimal.ROUND_HALF_UP

# ISO 4217 minor units: the number of decimals an amount of the currency has.
MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "MAD": 2,
    "DZD": 2,
    "EGP": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "AED": 2,
    "SAR": 2,
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


class UnknownCurrency(ValueError):
    """A currency code that is not in ``MINOR_UNITS``."""


def minor_unit(currency: str) -> int:
    """The number of decimals of ``currency`` (case-insensitive), e.g. 2 for EUR, 0 for XOF, 3 for TND.

    Raises ``UnknownCurrency`` for a code not in ``MINOR_UNITS``: guessing a precision would round money
    wrongly, so an unknown currency is an error, never a default.
    """
    code = currency.upper()
    try:
        return MINOR_UNITS[code]
    except KeyError:
        raise UnknownCurrency(f"unknown currency {code!r}") from None


def _finite(value: Decimal | int, name: str) -> Decimal:
    # bool is an int but never an amount; float would carry binary rounding errors into money.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number, got {result}")
    return result


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to an integer, halves away from zero (ROUND_HALF_UP), exactly."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def quantize_ratio(*, numerator: Decimal | int, denominator: Decimal | int, currency: str) -> Decimal:
    """``numerator / denominator`` rounded once to the minor unit of ``currency`` with ``ROUNDING``.

    The quotient is never formed as a ``Decimal``: both operands are turned into exact integer fractions and
    the rounding is done in integers, so the result is the exact rational value rounded once (a ``Decimal``
    division would first round to the context's 28 digits, and a second rounding could move a half).
    A zero denominator raises ``ZeroDivisionError``.
    """
    places = minor_unit(currency)
    num_n, num_d = _finite(numerator, "numerator").as_integer_ratio()
    den_n, den_d = _finite(denominator, "denominator").as_integer_ratio()
    if den_n == 0:
        raise ZeroDivisionError("denominator must not be zero")
    units = _round_half_up(num_n * den_d * 10**places, num_d * den_n)
    # Built from a string: exact, whatever the size, and with exactly `places` decimals (never -0).
    return Decimal(f"{units}E-{places}")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded to the minor unit of ``currency`` with ``ROUNDING`` (exact, whatever its size).

    >>> quantize(Decimal("1.2345"), "TND"), quantize(Decimal("0.005"), "EUR")
    (Decimal('1.235'), Decimal('0.01'))
    >>> quantize(Decimal("12.5"), "XOF")
    Decimal('13')
    """
    return quantize_ratio(numerator=amount, denominator=1, currency=currency)


@dataclass(frozen=True)
class Money:
    """An amount in a currency, always at the currency's minor unit (``Money.of`` rounds to it).

    Building a ``Money`` directly accepts only amounts that need no rounding (``Decimal("40")`` becomes
    ``40.00`` EUR; ``Decimal("40.001")`` EUR raises ``ValueError``): rounding is ``Money.of``'s job, so it
    is always visible in the code. The currency is stored upper-cased.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("Money amounts are Decimal, never float")
        currency = self.currency.upper()
        amount = _finite(self.amount, "amount")
        rounded = quantize(amount, currency)
        if rounded != amount:
            raise ValueError(f"{amount} has more decimals than {currency} allows; use Money.of to round it")
        # Frozen dataclass: normalising the fields in place is the documented way round frozen=True.
        object.__setattr__(self, "amount", rounded)
        object.__setattr__(self, "currency", currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """``amount`` (a Decimal, an int or a decimal string) rounded to ``currency``'s minor unit.

        A float raises ``TypeError``: ``0.1`` is not a tenth in binary, and money must be exact.
        """
        if isinstance(amount, float):
            raise TypeError("Money amounts are Decimal, never float: pass a Decimal or a string")
        if isinstance(amount, str):
            try:
                value = Decimal(amount)
            except decimal.InvalidOperation:
                raise ValueError(f"not a decimal amount: {amount!r}") from None
        else:
            value = _finite(amount, "amount")
        return cls(quantize(_finite(value, "amount"), currency), currency)

    def _same_currency(self, other: Money, verb: str) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot {verb} {self} and {other}: {self.currency} and {other.currency} differ")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        # Both amounts have the same number of decimals: the sum is exact, no rounding.
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def is_zero(self) -> bool:
        """True for an amount of zero."""
        return self.amount == 0

    def __str__(self) -> str:
        """The amount with exactly the minor unit's decimals, then the code: ``40.00 EUR``, ``13 XOF``."""
        return f"{self.amount:.{minor_unit(self.currency)}f} {self.currency}"
