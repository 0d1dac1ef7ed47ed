"""Service credits and fees: downtime credits (capped), quality discounts by tier, fee proration.

Each amount is computed exactly (``Decimal`` products in a context wide enough never to round, divisions
as exact fractions) and rounded once, at the end, to the currency's minor unit with ``ROUNDING``; each
result carries a one-line explanation a customer can check with a pocket calculator, in English or, with
``language="fr"``, in French (the numbers are written the same way in both).
"""

from __future__ import annotations

import calendar
import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date
from decimal import Decimal

from .amounts import Money, quantize, quantize_ratio
from .errors import OutOfRange
from .intervals import format_duration

__all__ = ["Credit", "DiscountTier", "downtime_credit", "prorate", "quality_discount"]

ZERO = Decimal(0)
# The explanations are read by customers: a real multiplication sign, escaped to keep the source ASCII.
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class _Phrases:
    """The words of the explanations in one language; the numbers are filled in with ``str.format``."""

    rate: str
    started_minute: str
    capped: str
    already: str
    measured: str
    over: str
    under: str
    met: str
    from_tier: str
    below_first_tier: str
    tier: str


_ENGLISH = _Phrases(
    rate="{rate} % of {fee} per hour {times} {duration} = {amount}",
    started_minute=" ({exact}, a started minute counts)",
    capped=", capped at {percent} % of the monthly fee ({cap}{already}) = {amount}",
    already=", {credited} already credited this month",
    measured="measured {measured} against {objective} objective",
    over="over",
    under="under",
    met="{head}: objective met, no discount",
    from_tier=" (from {threshold})",
    below_first_tier="{head}: below the first tier{lowest}, no discount",
    tier="{head}: tier from {threshold}, {percent} % of {fee} = {amount}",
)
_FRENCH = _Phrases(
    rate="{rate} % de {fee} par heure {times} {duration} = {amount}",
    started_minute=" ({exact}, toute minute commencée compte)",
    capped=", plafonné à {percent} % de la redevance mensuelle ({cap}{already}) = {amount}",
    already=", dont {credited} déjà crédités ce mois-ci",
    measured="mesuré {measured} pour un objectif de {objective}",
    over="au-dessus",
    under="en dessous",
    met="{head} : objectif respecté, pas de remise",
    from_tier=" (à partir de {threshold})",
    below_first_tier="{head} : sous le premier palier{lowest}, pas de remise",
    tier="{head} : palier à partir de {threshold}, {percent} % de {fee} = {amount}",
)


def _phrases(language: str) -> _Phrases:
    # French for "fr", English for anything else.
    return _FRENCH if language == "fr" else _ENGLISH


@dataclass(frozen=True)
class Credit:
    """A credit (or discount) on a monthly fee.

    ``amount`` is what is credited; ``uncapped`` what the rule gives before the monthly cap; ``cap`` the
    monthly cap amount for the service (fee * cap %, before subtracting what was already credited), None
    when uncapped; ``capped`` whether the cap reduced the amount; ``minutes`` the outage minutes counted
    (0 for a quality discount). Amounts are at the currency's minor unit.
    """

    amount: Decimal
    uncapped: Decimal
    cap: Decimal | None
    capped: bool
    minutes: int
    currency: str
    explanation: str


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


def _number(value: Decimal) -> str:
    """A rate or a measurement as written, without exponent or trailing zeros: 20, 12.5, 0.25."""
    text = f"{value.normalize():f}"
    return "0" if text in {"-0", "0"} else text


def _money(amount: Decimal, currency: str) -> str:
    return str(Money(amount, currency))


def downtime_credit(
    *,
    monthly_fee: Decimal,
    currency: str,
    rate_percent_per_hour: Decimal,
    down_seconds: int,
    cap_percent: Decimal | None,
    already_credited: Decimal = ZERO,
    language: str = "en",
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

    Negative fee, rate, cap, seconds or already credited raise ``ValueError`` naming the argument. The
    explanation is in French when ``language`` is ``"fr"``, in English otherwise.

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
    words = _phrases(language)
    duration = format_duration(minutes * 60)
    if down_seconds % 60:
        duration += words.started_minute.format(exact=format_duration(down_seconds))
    explanation = words.rate.format(
        rate=_number(rate_percent_per_hour),
        fee=_money(fee, currency),
        times=TIMES,
        duration=duration,
        amount=_money(uncapped, currency),
    )
    cap: Decimal | None = None
    amount = uncapped
    if cap_percent is not None:
        cap = quantize_ratio(numerator=_product(monthly_fee, cap_percent), denominator=100, currency=currency)
        credited = quantize(already_credited, currency)
        # The room left may be the bare ZERO (no decimals): re-quantized so every amount has the minor unit.
        amount = quantize(min(uncapped, max(cap - credited, ZERO)), currency)
        if amount < uncapped:
            already = words.already.format(credited=_money(credited, currency)) if credited else ""
            explanation += words.capped.format(
                percent=_number(cap_percent),
                cap=_money(cap, currency),
                already=already,
                amount=_money(amount, currency),
            )
    return Credit(
        amount=amount,
        uncapped=uncapped,
        cap=cap,
        capped=amount < uncapped,
        minutes=minutes,
        currency=currency,
        explanation=explanation,
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
    language: str = "en",
) -> Credit:
    """A discount on the monthly fee for missing a quality objective (policy 000: latency).

    Rule: "the further from the objective, the bigger the discount".

    * ``miss = measured - objective`` (``objective - measured`` when ``higher_is_worse`` is False).
    * No miss (``miss <= 0``): no discount. Otherwise the tier with the largest ``miss_at_least`` that is
      ``<= miss`` applies (the tiers may be given in any order); below every tier: no discount.
    * ``amount = fee * discount_percent / 100``, rounded once to the minor unit with ``ROUNDING``.

    Two tiers with the same ``miss_at_least`` are ambiguous and raise ``ValueError``. The explanation is in
    French when ``language`` is ``"fr"``, in English otherwise.
    """
    _non_negative(monthly_fee, "monthly_fee")
    _finite(objective, "objective")
    _finite(measured, "measured")
    thresholds = [tier.miss_at_least for tier in tiers]
    if len(set(thresholds)) != len(thresholds):
        raise ValueError(f"two tiers start at the same miss: {sorted(thresholds)}")
    currency = currency.upper()
    fee = quantize(monthly_fee, currency)
    suffix = f" {unit}" if unit else ""
    words = _phrases(language)
    miss = measured - objective if higher_is_worse else objective - measured
    head = words.measured.format(
        measured=f"{_number(measured)}{suffix}", objective=f"{_number(objective)}{suffix}"
    )
    if miss <= 0:
        return _discount(ZERO, currency, words.met.format(head=head))
    side = words.over if higher_is_worse else words.under
    head += f" ({_number(miss)}{suffix} {side})"
    reached = [tier for tier in tiers if tier.miss_at_least <= miss]
    if not reached:
        lowest = words.from_tier.format(threshold=f"{_number(min(thresholds))}{suffix}") if thresholds else ""
        return _discount(ZERO, currency, words.below_first_tier.format(head=head, lowest=lowest))
    tier = max(reached, key=lambda reached_tier: reached_tier.miss_at_least)
    amount = quantize_ratio(
        numerator=_product(monthly_fee, tier.discount_percent), denominator=100, currency=currency
    )
    return _discount(
        amount,
        currency,
        words.tier.format(
            head=head,
            threshold=f"{_number(tier.miss_at_least)}{suffix}",
            percent=_number(tier.discount_percent),
            fee=_money(fee, currency),
            amount=_money(amount, currency),
        ),
    )


def _discount(amount: Decimal, currency: str, explanation: str) -> Credit:
    amount = quantize(amount, currency)
    return Credit(
        amount=amount,
        uncapped=amount,
        cap=None,
        capped=False,
        minutes=0,
        currency=currency,
        explanation=explanation,
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
