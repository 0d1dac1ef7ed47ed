"""Service credits and fees: downtime credits (capped), quality discounts by tier, fee proration.

Each amount is computed exactly (``Decimal`` products in a context wide enough never to round, divisions
as exact fractions) and rounded once, at the end, to the currency's minor unit with ``ROUNDING``; each
result carries its terms (the numbers that reached it, the outcome as a code), which the edge words in the
reader's language as a sentence a customer can check with a pocket calculator.
"""

from __future__ import annotations

import calendar
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import MAXYEAR, MINYEAR, date
from decimal import Decimal
from enum import StrEnum

from .amounts import quantize, quantize_ratio
from .errors import OutOfRange

__all__ = [
    "Credit",
    "DiscountTier",
    "DowntimeTerms",
    "QualityOutcome",
    "QualityTerms",
    "downtime_credit",
    "prorate",
    "quality_discount",
]

ZERO = Decimal(0)


class QualityOutcome(StrEnum):
    """How a measure stands against a quality objective's tiers."""

    MET = "met"  # no miss: no discount
    BELOW_FIRST_TIER = "below_first_tier"  # a miss smaller than every tier: no discount
    TIER = "tier"  # a tier reached: its discount


@dataclass(frozen=True)
class DowntimeTerms:
    """How a downtime credit was reached, as numbers: ``rate_percent`` % of ``fee`` per hour for ``minutes``
    (``down_seconds`` rounded up to the started minute) gives ``uncapped``; the monthly cap (``cap_percent``
    % of the fee, ``cap``, of which ``already_credited`` was used) brings it to ``amount``. Amounts are at the
    currency's minor unit."""

    rate_percent: Decimal
    fee: Decimal
    currency: str
    down_seconds: int
    minutes: int
    uncapped: Decimal
    cap_percent: Decimal | None
    cap: Decimal | None
    already_credited: Decimal
    amount: Decimal

    @property
    def capped(self) -> bool:
        return self.amount < self.uncapped


@dataclass(frozen=True)
class QualityTerms:
    """How a quality discount was reached: ``measured`` against ``objective`` (in ``unit``), a ``miss`` of
    that much, the ``outcome``; for a tier reached, its ``threshold`` and ``discount_percent`` of ``fee`` give
    ``amount``; below every tier, ``lowest_threshold`` is the first tier's (None when there is no tier)."""

    objective: Decimal
    measured: Decimal
    unit: str
    higher_is_worse: bool
    miss: Decimal
    outcome: QualityOutcome
    fee: Decimal
    currency: str
    amount: Decimal
    threshold: Decimal | None = None
    discount_percent: Decimal | None = None
    lowest_threshold: Decimal | None = None


@dataclass(frozen=True)
class Credit:
    """A credit (or discount) on a monthly fee.

    ``amount`` is what is credited; ``uncapped`` what the rule gives before the monthly cap; ``cap`` the
    monthly cap amount for the service (fee * cap %, before subtracting what was already credited), None
    when uncapped; ``capped`` whether the cap reduced the amount; ``minutes`` the outage minutes counted
    (0 for a quality discount); ``terms`` how it was reached, as numbers (the edge words them in the
    reader's language). Amounts are at the currency's minor unit.
    """

    amount: Decimal
    uncapped: Decimal
    cap: Decimal | None
    capped: bool
    minutes: int
    currency: str
    terms: DowntimeTerms | QualityTerms


@dataclass(frozen=True)
class DiscountTier:
    """From a miss of ``miss_at_least`` (in the objective's unit), ``discount_percent`` of the fee."""

    miss_at_least: Decimal
    discount_percent: Decimal

    def __post_init__(self) -> None:
        _non_negative(self.miss_at_least, "miss_at_least")
        _non_negative(self.discount_percent, "discount_percent")
        if self.discount_percent > 100:
            raise ValueError(f"discount_percent must not exceed 100, got {self.discount_percent}")


def _finite(value: Decimal | int, name: str) -> None:
    # Money is never float (binary fractions are not decimal ones); bool is an int but never a quantity.
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")


def _non_negative(value: Decimal | int, name: str) -> None:
    _finite(value, name)
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _product(*factors: Decimal | int) -> Decimal:
    # A product of finite decimals is a finite decimal: with the maximal precision it is computed exactly.
    result = Decimal(1)
    with decimal.localcontext(prec=decimal.MAX_PREC):
        for factor in factors:
            result *= factor
    return result


def downtime_credit(
    *,
    monthly_fee: Decimal,
    currency: str,
    rate_percent_per_hour: Decimal,
    down_seconds: int,
    cap_percent: Decimal | None,
    already_credited: Decimal = ZERO,
) -> Credit:
    """The credit for ``down_seconds`` of outage of one service in one month (policy 004).

    Rule: credit = monthly fee * ``rate_percent_per_hour`` % per hour of outage, pro rata to the minute.

    * The outage is counted in whole minutes and a started minute counts: ``minutes = ceil(seconds / 60)``.
      "To the minute" makes the minute the unit, and rounding up is in the customer's favour.
    * ``uncapped = fee * rate / 100 * minutes / 60``, computed exactly and rounded once, at the end, to the
      currency's minor unit with ``ROUNDING`` (half up).
    * The monthly cap for the service is ``fee * cap_percent / 100``, rounded the same way; the room left
      is the cap minus ``already_credited`` for that service this month (rounded to the minor unit too),
      never below zero. ``amount = min(uncapped, room left)``. No cap (None): ``amount = uncapped``.

    Negative fee, rate, cap, seconds or already credited raise ``ValueError`` naming the argument.

    >>> downtime_credit(monthly_fee=Decimal(100), currency="EUR", rate_percent_per_hour=Decimal(20),
    ...                 down_seconds=7200, cap_percent=None).amount
    Decimal('40.00')
    """
    _non_negative(monthly_fee, "monthly_fee")
    _non_negative(rate_percent_per_hour, "rate_percent_per_hour")
    if isinstance(down_seconds, bool) or not isinstance(down_seconds, int):
        raise TypeError(f"down_seconds must be an int, not {type(down_seconds).__name__}")
    _non_negative(down_seconds, "down_seconds")
    if cap_percent is not None:
        _non_negative(cap_percent, "cap_percent")
    _non_negative(already_credited, "already_credited")
    currency = currency.upper()

    minutes = -(-down_seconds // 60)  # ceil for a non-negative integer, without floats
    uncapped = quantize_ratio(
        numerator=_product(monthly_fee, rate_percent_per_hour, minutes),
        denominator=100 * 60,
        currency=currency,
    )
    fee = quantize(monthly_fee, currency)
    cap: Decimal | None = None
    credited = quantize(already_credited, currency)
    amount = uncapped
    if cap_percent is not None:
        cap = quantize_ratio(numerator=_product(monthly_fee, cap_percent), denominator=100, currency=currency)
        # The room left may be the bare ZERO (no decimals): re-quantized so every amount has the minor unit.
        amount = quantize(min(uncapped, max(cap - credited, ZERO)), currency)
    terms = DowntimeTerms(
        rate_percent=rate_percent_per_hour,
        fee=fee,
        currency=currency,
        down_seconds=down_seconds,
        minutes=minutes,
        uncapped=uncapped,
        cap_percent=cap_percent,
        cap=cap,
        already_credited=credited,
        amount=amount,
    )
    return Credit(
        amount=amount,
        uncapped=uncapped,
        cap=cap,
        capped=amount < uncapped,
        minutes=minutes,
        currency=currency,
        terms=terms,
    )


def quality_discount(
    *,
    monthly_fee: Decimal,
    currency: str,
    objective: Decimal,
    measured: Decimal,
    tiers: Sequence[DiscountTier],
    higher_is_worse: bool = True,
    unit: str = "",
) -> Credit:
    """A discount on the monthly fee for missing a quality objective (policy 000: latency).

    Rule: "the further from the objective, the bigger the discount".

    * ``miss = measured - objective`` (``objective - measured`` when ``higher_is_worse`` is False).
    * No miss (``miss <= 0``): no discount. Otherwise the tier with the largest ``miss_at_least`` that is
      ``<= miss`` applies (the tiers may be given in any order); below every tier: no discount.
    * ``amount = fee * discount_percent / 100``, rounded once to the minor unit with ``ROUNDING``.

    Two tiers with the same ``miss_at_least`` are ambiguous and raise ``ValueError``.
    """
    _non_negative(monthly_fee, "monthly_fee")
    _finite(objective, "objective")
    _finite(measured, "measured")
    thresholds = [tier.miss_at_least for tier in tiers]
    if len(set(thresholds)) != len(thresholds):
        raise ValueError(f"two tiers start at the same miss: {sorted(thresholds)}")
    currency = currency.upper()
    fee = quantize(monthly_fee, currency)
    miss = measured - objective if higher_is_worse else objective - measured
    met = QualityTerms(
        objective=objective,
        measured=measured,
        unit=unit,
        higher_is_worse=higher_is_worse,
        miss=miss,
        outcome=QualityOutcome.MET,
        fee=fee,
        currency=currency,
        amount=quantize(ZERO, currency),
    )
    if miss <= 0:
        return _discount(met)
    reached = [tier for tier in tiers if tier.miss_at_least <= miss]
    if not reached:
        lowest = min(thresholds) if thresholds else None
        return _discount(replace(met, outcome=QualityOutcome.BELOW_FIRST_TIER, lowest_threshold=lowest))
    tier = max(reached, key=lambda reached_tier: reached_tier.miss_at_least)
    amount = quantize_ratio(
        numerator=_product(monthly_fee, tier.discount_percent), denominator=100, currency=currency
    )
    return _discount(
        replace(
            met,
            outcome=QualityOutcome.TIER,
            amount=quantize(amount, currency),
            threshold=tier.miss_at_least,
            discount_percent=tier.discount_percent,
        )
    )


def _discount(terms: QualityTerms) -> Credit:
    return Credit(
        amount=terms.amount,
        uncapped=terms.amount,
        cap=None,
        capped=False,
        minutes=0,
        currency=terms.currency,
        terms=terms,
    )


def prorate(
    *, monthly_fee: Decimal, currency: str, year: int, month: int, first_day: date, last_day: date
) -> Decimal:
    """The part of ``monthly_fee`` for the days from ``first_day`` to ``last_day`` (inclusive) of the month.

    Rule: ``fee * billable days / days in the month``, the days clipped to the month, rounded once to the
    minor unit with ``ROUNDING``. The whole month gives the fee itself (rounded to the minor unit), no days
    give 0. Each prorated part is within half a minor unit of its exact value.
    """
    _non_negative(monthly_fee, "monthly_fee")
    if not MINYEAR <= year <= MAXYEAR or not 1 <= month <= 12:
        raise OutOfRange(f"{year}-{month} is not a month of the calendar")
    days_in_month = calendar.monthrange(year, month)[1]
    first = max(first_day, date(year, month, 1))
    last = min(last_day, date(year, month, days_in_month))
    days = max((last - first).days + 1, 0)
    return quantize_ratio(numerator=_product(monthly_fee, days), denominator=days_in_month, currency=currency)
