"""Contract terms and claim windows: month arithmetic on dates, the earliest termination, claimable months.

Policy 000: "initial minimum commitment of 12 months; at its expiry the service renews automatically every
year on the same terms, unless terminated with 30 days' notice", and claims are accepted only within the
first days of the month, in the provider's time zone, for the month before.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import OutOfRange

__all__ = ["Termination", "add_months", "claim_month", "earliest_termination"]

ONE_DAY = timedelta(days=1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    """The (year, month) before ``month`` of ``year``: January's is December of the year before.

    January of year 1 has no month before it in the calendar: ``OutOfRange``.
    """
    if (year, month) <= (MINYEAR, 1):
        raise OutOfRange(f"no month before {year:04d}-{month:02d} in the calendar")
    return (year - 1, 12) if month == 1 else (year, month - 1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (may be negative), clamped to the target month's last day.

    2026-01-31 + 1 month is 2026-02-28, 2028-01-31 + 1 month is 2028-02-29: a contract started on the
    31st has its anniversaries on the last day of the shorter months. A month outside the calendar (before
    year 1, after year 9999) raises ``OutOfRange``.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if not MINYEAR <= year <= MAXYEAR:
        raise OutOfRange(f"{day} moved by {months} months falls outside the calendar (years 1 to 9999)")
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Termination:
    """The earliest end of a contract for a termination requested on ``requested_on``.

    ``term_end`` is the (exclusive) end of the term with which the service ends, ``last_day`` the last day
    of service (``term_end`` - 1 day), ``notice_deadline`` the last day a request could have been made to end
    with that term (``term_end`` - notice). The terms that reached it follow: the contract's ``start``,
    commitment, renewal and notice, the day the notice runs out (``notice_end``) and the end of the term
    before (``previous_end``, None when the service ends with the commitment).
    """

    requested_on: date
    notice_deadline: date
    term_end: date
    last_day: date
    start: date
    commitment_months: int
    renewal_months: int
    notice_days: int
    notice_end: date
    previous_end: date | None


def earliest_termination(
    *,
    start: date,
    requested_on: date,
    commitment_months: int = 12,
    renewal_months: int = 12,
    notice_days: int = 30,
) -> Termination:
    """The earliest end of a service started on ``start`` for a termination requested on ``requested_on``.

    Rule (policy 000): terms end, exclusive, at ``start`` + ``commitment_months``, then every
    ``renewal_months`` after it. Each end is computed from ``start`` (``add_months(start, commitment +
    k * renewal)``), never by adding to the previous end, so a start on the 31st does not drift to the 28th
    after a February. The service ends with the first term end ``E`` such that ``requested_on +
    notice_days <= E`` (notice given exactly on the deadline is in time); its last day is ``E - 1 day``. A
    request before the start follows the same rule.
    """
    if commitment_months < 1 or renewal_months < 1:
        raise ValueError(
            f"commitment_months and renewal_months must be at least 1, got {commitment_months} and "
            f"{renewal_months}"
        )
    if notice_days < 0:
        raise ValueError(f"notice_days must not be negative, got {notice_days}")
    try:
        notice_end = requested_on + timedelta(days=notice_days)
    except OverflowError:
        raise OutOfRange(
            f"{notice_days} days' notice from {requested_on} runs past the end of the calendar (9999-12-31)"
        ) from None

    def term_end(k: int) -> date:
        try:
            return add_months(start, commitment_months + k * renewal_months)
        except OutOfRange:
            raise OutOfRange(
                f"the term in which notice given on {requested_on} takes effect ends after 9999-12-31"
            ) from None

    # Jump close to the answer instead of walking years: the term whose end month is at least
    # `renewal_months` before the notice's month ends before the notice does, so the answer is after it.
    months_ahead = (notice_end.year - start.year) * 12 + notice_end.month - start.month
    k = max(0, (months_ahead - commitment_months) // renewal_months - 1)
    while term_end(k) < notice_end:
        k += 1
    end = term_end(k)

    return Termination(
        requested_on=requested_on,
        notice_deadline=end - timedelta(days=notice_days),
        term_end=end,
        last_day=end - ONE_DAY,
        start=start,
        commitment_months=commitment_months,
        renewal_months=renewal_months,
        notice_days=notice_days,
        notice_end=notice_end,
        previous_end=None if k == 0 else term_end(k - 1),
    )


def claim_month(*, at: datetime, tz: ZoneInfo, window_days: int = 7) -> tuple[int, int] | None:
    """The ``(year, month)`` a claim made at ``at`` may be about, or None outside the claim window.

    Rule (policy 000): claims are accepted only within the first ``window_days`` days of the month in the
    provider's time zone ``tz``, and then for the month before. Day 7 at 23:59:59 local is in the window,
    day 8 at 00:00 is not. In January the month before is December of the previous year. A naive ``at``
    raises ``ValueError`` (its time zone would be a guess); an instant that cannot be written in ``tz``, or
    whose month before is not in the calendar, raises ``OutOfRange``.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware (got naive {at.isoformat()})")
    if window_days < 0:
        raise ValueError(f"window_days must not be negative, got {window_days}")
    try:
        local = at.astimezone(tz)
    except OverflowError:
        raise OutOfRange(f"{at.isoformat()} cannot be written in {tz}") from None
    if local.day > window_days:
        return None
    return previous_month(local.year, local.month)
