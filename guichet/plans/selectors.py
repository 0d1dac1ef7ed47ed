"""Reads of plans and calendars."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from guichet.businesstime import BusinessCalendar

from .models import Calendar, OrganisationPlan, SlaPlan, build_business_calendar

_cache: dict[int, tuple[object, BusinessCalendar]] = {}
_cache_lock = threading.Lock()


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    """The engine's calendar for a stored one, built once per version of the row.

    Building is cheap but not free (holidays are computed per year on first use), and the engine caches its
    per-year tables, so one instance per calendar version is kept per process. Every service that changes a
    calendar or its closed dates bumps ``updated_at``, which is the cache key.
    """
    key = (calendar.updated_at, calendar.hours, calendar.time_zone, calendar.country, calendar.subdivision)
    hit = _cache.get(calendar.pk)
    if hit is not None and hit[0] == key:
        return hit[1]
    built = build_business_calendar(
        hours=calendar.hours,
        time_zone=calendar.time_zone,
        country=calendar.country,
        subdivision=calendar.subdivision,
        closed_dates=list(calendar.closed_dates.values_list("date", flat=True)),
    )
    with _cache_lock:
        _cache[calendar.pk] = (key, built)
    return built


CALENDAR_ROWS_TTL = 60.0  # seconds
_rows: dict[int, tuple[float, Calendar]] = {}


def calendars_by_id(ids) -> dict[int, Calendar]:
    """Calendar rows by id. A page of tickets needs the same two or three calendars on every request, so a
    worker keeps each row for a minute instead of asking the database each time; a change to a calendar
    (or its closed dates) through this process clears them at once, other processes within the minute."""
    now = time.monotonic()
    found: dict[int, Calendar] = {}
    missing = []
    for pk in set(ids):
        hit = _rows.get(pk)
        if hit is not None and now - hit[0] < CALENDAR_ROWS_TTL:
            found[pk] = hit[1]
        else:
            missing.append(pk)
    if missing:
        for calendar in Calendar.objects.filter(pk__in=missing):
            _rows[calendar.pk] = (now, calendar)
            found[calendar.pk] = calendar
    return found


def forget_calendar_rows(**kwargs) -> None:
    _rows.clear()


def plan_list():
    """Plans with their calendars and targets, in two queries whatever their number."""
    return SlaPlan.objects.select_related(
        "support_calendar", "fault_calendar", "billing_calendar"
    ).prefetch_related("targets")


def plan_for_organisation(organisation) -> SlaPlan | None:
    """The plan an organisation's tickets run on (its default plan, until subscriptions exist)."""

    assignment = (
        OrganisationPlan.objects.select_related(
            "plan", "plan__support_calendar", "plan__fault_calendar", "plan__billing_calendar"
        )
        .filter(organisation=organisation)
        .first()
    )
    return assignment.plan if assignment else None


@dataclass(frozen=True)
class CalendarNow:
    """A calendar at an instant: open or not, until when it stays open, and when it opens next."""

    calendar: Calendar
    open: bool
    closes_at: datetime | None  # open: when it closes (None: open for at least a week, around the clock)
    next_open: datetime | None  # closed: the next open instant (None: it never opens again)


def calendar_now(calendar: Calendar, now: datetime) -> CalendarNow:
    """Whether ``calendar`` is open at ``now`` and its next change, from the engine's open periods, for
    pages that say "open until 18:00" or "closed, opens Monday 08:00"."""
    cal = business_calendar(calendar)
    try:
        periods = cal.open_periods(now, count=8)
    except ValueError:  # no opening within the engine's horizon: closed for good
        periods = []
    if not periods:
        return CalendarNow(calendar, open=False, closes_at=None, next_open=None)
    if not cal.is_open(now):
        return CalendarNow(calendar, open=False, closes_at=None, next_open=periods[0][0])
    # Periods are cut at midnight: one that ends where the next begins goes on (a 24/7 calendar, a night
    # shift), so the closing time is the end of the first gap.
    closes: datetime | None = periods[0][1]
    for opens, next_closes in periods[1:]:
        if opens != closes:
            break
        closes = next_closes
    else:
        if len(periods) == 8:
            closes = None
    return CalendarNow(calendar, open=True, closes_at=closes, next_open=None)
