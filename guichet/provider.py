"""The provider's calendar: its time zone, today, month boundaries and the claim window, in one place.

Tickets are numbered per provider year, quotas and availability are counted per provider month, invoices are
dated on the provider's day and claims are accepted in the first days of its month: every one of those reads
the zone here (``GUICHET_PROVIDER_TIME_ZONE``), so they can never disagree. The arithmetic itself is pure
(``guichet.money``); this module only feeds it the provider's settings.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.money.availability import month_bounds
from guichet.money.intervals import Interval
from guichet.money.terms import claim_month


def zone() -> ZoneInfo:
    """The provider's IANA time zone."""
    return ZoneInfo(settings.GUICHET_PROVIDER_TIME_ZONE)


def local(at: datetime | None = None) -> datetime:
    """``at`` (default now) as the provider's wall clock shows it."""
    return timezone.localtime(at or timezone.now(), zone())


def today(at: datetime | None = None) -> date:
    """The provider's calendar day at ``at`` (default now)."""
    return local(at).date()


def year(at: datetime) -> int:
    """The provider's calendar year at ``at`` (ticket references are numbered per year)."""
    return local(at).year


def month_start(at: datetime | None = None) -> datetime:
    """Local midnight of the 1st of the provider's month holding ``at`` (quotas count from it)."""
    return local(at).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month(year: int, month: int) -> Interval:
    """The provider's calendar month ``year-month`` as a span of real time (UTC bounds)."""
    return month_bounds(year=year, month=month, tz=zone())


def first_of_months_ago(months: int, at: datetime | None = None) -> date:
    """The 1st of the provider's month ``months - 1`` months before the one holding ``at``: the first month
    of a chart of ``months`` months that ends with the current one."""
    day = today(at)
    y, m = day.year, day.month - months + 1
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def claim_window_days() -> int:
    return settings.GUICHET_CLAIM_WINDOW_DAYS


def claimable_month(at: datetime | None = None) -> tuple[int, int] | None:
    """The ``(year, month)`` a claim made at ``at`` (default now) may be about, or None outside the window:
    the first ``GUICHET_CLAIM_WINDOW_DAYS`` days of the provider's month, for the month before. The extranet's
    form and the claim service both ask here, so they cannot disagree."""
    return claim_month(at=at or timezone.now(), tz=zone(), window_days=claim_window_days())


def claim_window_message() -> str:
    return _(
        "Claims are accepted during the first %(days)s days of a month (%(zone)s time), for the month before."
    ) % {"days": claim_window_days(), "zone": settings.GUICHET_PROVIDER_TIME_ZONE}
