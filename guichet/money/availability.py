"""Monthly availability of a service against its guarantee, exact and explainable.

Availability is measured per calendar month of the provider's time zone, on the part of the month the
service was subscribed, and never averaged over several months: a bad month is not hidden by good ones.
Planned maintenance and force majeure windows are not downtime. Everything is integer seconds until the
single displayed rounding of the percentage; whether the guarantee is met is decided on the exact ratio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from .errors import OutOfRange
from .intervals import Interval, clip, subtract, total_seconds

__all__ = ["Availability", "month_bounds", "monthly_availability"]

HUNDRED_PERCENT = Decimal("100.000")


def month_bounds(*, year: int, month: int, tz: ZoneInfo) -> Interval:
    """Local midnight of the 1st of the month to local midnight of the next month's 1st, in UTC.

    The month is a span of real time: in Europe/Luxembourg, March 2026 has 743 hours (the clocks spring
    forward) and October 2026 745 (they fall back).

    A month whose bounds the calendar cannot hold raises ``OutOfRange``: December 9999 (it ends in year
    10000), and January of year 1 in a zone ahead of UTC (it starts in year 0 in UTC).
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1 to 12, got {month}")
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        start = datetime(year, month, 1, tzinfo=tz).astimezone(UTC)
        end = datetime(next_year, next_month, 1, tzinfo=tz).astimezone(UTC)
    except (OverflowError, ValueError):
        raise OutOfRange(f"{year:04d}-{month:02d} in {tz} does not fit in the calendar") from None
    return start, end


@dataclass(frozen=True)
class Availability:
    """The availability of one service over one calendar month (or the part of it it was subscribed).

    ``start`` and ``end`` are the measured period, aware and expressed in the month's time zone (they
    compare equal to the UTC bounds of ``month_bounds``); an empty period has ``start == end``.
    ``percent`` is rounded down to 3 decimals for display; ``met`` is decided on the exact ratio, and is
    None when there is no guarantee.
    """

    start: datetime
    end: datetime
    period_seconds: int
    down_seconds: int
    percent: Decimal
    guarantee: Decimal | None
    met: bool | None

    @property
    def partial(self) -> bool:
        """Whether the period is part of the month only (the service started or ended within it)."""
        return not _is_month_start(self.start) or not _is_month_start(self.end)


def _is_month_start(moment: datetime) -> bool:
    return moment.day == 1 and moment.time() == time(0)


def _aware(moment: datetime | None, name: str) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware (got naive {moment.isoformat()})")


def _meets(*, up_seconds: int, period_seconds: int, guarantee: Decimal) -> bool:
    # up / period >= guarantee / 100, cross-multiplied in integers: exact, no division, no rounding.
    numerator, denominator = guarantee.as_integer_ratio()
    return up_seconds * 100 * denominator >= numerator * period_seconds


def monthly_availability(
    *,
    year: int,
    month: int,
    tz: ZoneInfo,
    outages: Iterable[Interval],
    excluded: Iterable[Interval] = (),
    active_from: datetime | None = None,
    active_until: datetime | None = None,
    guarantee: Decimal | None = None,
) -> Availability:
    """The availability of a service in one calendar month of ``tz``.

    Rule:

    * The period is the month (``month_bounds``) clipped to ``[active_from, active_until)`` when given: a
      service subscribed for part of the month is measured on that part only.
    * Downtime is the union of ``outages`` minus the ``excluded`` windows (planned maintenance, force
      majeure), within the period. Overlapping outages count once. Durations are whole seconds (see
      ``total_seconds``: the total is truncated).
    * ``percent = 100 * (period - down) / period``, rounded DOWN to 3 decimals. Rounding down because a
      displayed figure must never look better than the truth: 99.7999 % shown as 99.800 % would look like
      a met 99.80 % guarantee. So the figure is at most 0.001 below the exact value, never above.
    * ``met`` compares the exact ratio with ``guarantee``: ``(period - down) * 100 >= guarantee * period``,
      in integers. None when there is no guarantee.
    * An empty period (not subscribed at all that month) is 100 % with no downtime, and met when there is
      a guarantee: there was nothing to be unavailable.
    """
    _aware(active_from, "active_from")
    _aware(active_until, "active_until")
    if guarantee is not None and not (guarantee.is_finite() and 0 <= guarantee <= 100):
        raise ValueError(f"guarantee must be a percentage from 0 to 100, got {guarantee}")
    month_start, month_end = month_bounds(year=year, month=month, tz=tz)
    start = max(month_start, active_from) if active_from is not None else month_start
    end = min(month_end, active_until) if active_until is not None else month_end
    # Clamp into the month so that an empty period still lies in it (its label names the right month).
    start = min(start, month_end)
    end = max(end, start)
    if start == month_end:
        start = end = month_start
    period = total_seconds([(start, end)])
    if period == 0:
        return Availability(
            start=start.astimezone(tz),
            end=end.astimezone(tz),
            period_seconds=0,
            down_seconds=0,
            percent=HUNDRED_PERCENT,
            guarantee=guarantee,
            met=None if guarantee is None else True,
        )
    down = total_seconds(subtract(clip(outages, start=start, end=end), excluded))
    up = period - down
    # Integer floor division is ROUND_DOWN here (up >= 0): exact, with no intermediate Decimal division.
    thousandths = up * 100_000 // period
    return Availability(
        start=start.astimezone(tz),
        end=end.astimezone(tz),
        period_seconds=period,
        down_seconds=down,
        percent=Decimal(thousandths).scaleb(-3),
        guarantee=guarantee,
        met=None if guarantee is None else _meets(up_seconds=up, period_seconds=period, guarantee=guarantee),
    )
