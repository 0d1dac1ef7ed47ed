"""The demo plans are the policies' tables, exactly; loading them twice changes nothing."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from guichet.demo import load_demo
from guichet.plans.models import Calendar, Clock, PlanTarget, Priority, SlaPlan
from guichet.plans.selectors import business_calendar, plan_list

pytestmark = pytest.mark.django_db

# From 004_45fdfb5363f4246a.txt: availability, support hours, fault-handling hours, MRT/TTI/TTR (hours),
# credit % per hour, monthly cap %, channels, phone queue.
EXPECTED_004 = {
    "basic": (None, "Mon-Fri 09:00-16:00", "Mon-Fri 09:00-16:00", (48, 96, 96), None, None,
              ["email"], "none"),
    "standard": ("99.80", "Mon-Fri 08:00-17:00", "Mon-Fri 08:00-17:00", (12, 24, 24), "20", "50",
                 ["email", "phone"], "standard"),
    "office": ("99.80", "Mon-Fri 08:00-18:00", "Mon-Fri 08:00-18:00", (4, 8, 10), "20", "50",
               ["email", "phone", "chat"], "priority"),
    "retail": ("99.85", "Mon-Fri 08:00-18:00", "Mon-Sun 08:00-18:00", (4, 8, 10), "25", "75",
               ["email", "phone", "chat"], "priority"),
    "enterprise": ("99.90", "Mon-Fri 07:30-18:00", "Mon-Sun 07:00-19:00", (3, 6, 8), "30", "100",
                   ["email", "phone", "chat", "matrix"], "priority_plus"),
    "advanced": ("99.95", "Mon-Fri 07:30-18:00", "Mon-Sun 00:00-24:00", (2, 5, 7), "40", "150",
                 ["email", "phone", "chat", "matrix"], "priority_plus_plus"),
}  # fmt: skip


def _dec(value):
    return None if value is None else Decimal(value)


@pytest.mark.parametrize("code", EXPECTED_004)
def test_the_six_tiers_of_004_are_loaded_as_the_table_gives_them(code):
    load_demo()
    avail, support, fault, (mrt, tti, ttr), rate, cap, channels, queue = EXPECTED_004[code]
    plan = SlaPlan.objects.get(code=code)
    assert plan.availability_guarantee == _dec(avail)
    assert plan.support_calendar.hours == support
    assert plan.fault_calendar.hours == fault
    assert plan.support_calendar.time_zone == plan.fault_calendar.time_zone == "Europe/Luxembourg"
    assert plan.credit_rate_per_hour == _dec(rate)
    assert plan.monthly_credit_cap == _dec(cap)
    assert plan.channels == channels
    assert plan.phone_queue_priority == queue
    for clock, hours in ((Clock.FIRST_RESPONSE, mrt), (Clock.INTERVENTION, tti), (Clock.RESOLUTION, ttr)):
        for priority in Priority.values:
            target = plan.target(clock, priority)
            assert (target.amount, target.unit) == (Decimal(hours), "business_hours")


def test_the_saas_support_plan_of_001_is_loaded_with_its_targets():
    load_demo()
    plan = SlaPlan.objects.get(code="saas-support")
    assert plan.support_calendar.hours == "Mon-Fri 09:00-21:00"
    assert plan.support_calendar.time_zone == "Europe/Lisbon"
    first = {p: plan.target(Clock.FIRST_RESPONSE, p) for p in Priority.values}
    assert {p: (t.amount, t.unit) for p, t in first.items()} == {
        "low": (Decimal(2), "business_days"),
        "medium": (Decimal(1), "business_days"),
        "high": (Decimal(12), "business_hours"),
        "urgent": (Decimal(4), "business_hours"),
    }
    for priority in Priority.values:
        resolution = plan.target(Clock.RESOLUTION, priority)
        assert (resolution.amount, resolution.unit) == (Decimal(24), "business_hours")
    assert plan.target(Clock.INTERVENTION, "urgent") is None


def test_loading_the_demo_twice_changes_nothing():
    assert load_demo() > 0
    before = {
        "calendars": list(Calendar.objects.values_list("name", "updated_at")),
        "plans": list(SlaPlan.objects.values_list("code", "updated_at")),
        "targets": list(PlanTarget.objects.values_list("pk", flat=True)),
    }
    assert load_demo() == 0
    after = {
        "calendars": list(Calendar.objects.values_list("name", "updated_at")),
        "plans": list(SlaPlan.objects.values_list("code", "updated_at")),
        "targets": list(PlanTarget.objects.values_list("pk", flat=True)),
    }
    assert after == before


def test_an_office_urgent_ticket_reported_friday_afternoon_is_due_monday():
    load_demo()
    plan = SlaPlan.objects.get(code="office")
    cal = business_calendar(plan.fault_calendar)
    lu = ZoneInfo("Europe/Luxembourg")
    reported = datetime(2026, 11, 27, 16, 0, tzinfo=lu)  # a Friday
    assert plan.target(Clock.FIRST_RESPONSE, "urgent").due(cal, reported) == datetime(
        2026, 11, 30, 10, 0, tzinfo=lu
    )
    # TTR 10 fault-handling hours: 2 h on Friday, 8 h on Monday.
    assert plan.target(Clock.RESOLUTION, "urgent").due(cal, reported) == datetime(
        2026, 11, 30, 16, 0, tzinfo=lu
    )


def test_a_saas_low_ticket_is_due_two_portuguese_business_days_later_at_the_same_time():
    load_demo()
    plan = SlaPlan.objects.get(code="saas-support")
    cal = business_calendar(plan.support_calendar)
    lisbon = ZoneInfo("Europe/Lisbon")
    opened = datetime(2026, 11, 30, 15, 30, tzinfo=lisbon)  # Monday; Tuesday 2026-12-01 is a public holiday
    due = plan.target(Clock.FIRST_RESPONSE, "low").due(cal, opened)
    assert due == datetime(2026, 12, 3, 15, 30, tzinfo=lisbon)


def test_advanced_plan_fault_clock_runs_through_the_night():
    load_demo()
    plan = SlaPlan.objects.get(code="advanced")
    cal = business_calendar(plan.fault_calendar)
    lu = ZoneInfo("Europe/Luxembourg")
    reported = datetime(2026, 12, 25, 23, 0, tzinfo=lu)  # Christmas night: 24/7 ignores holidays
    assert plan.target(Clock.RESOLUTION, "high").due(cal, reported) == datetime(2026, 12, 26, 6, 0, tzinfo=lu)


def test_listing_plans_takes_two_queries_whatever_their_number(django_assert_num_queries):
    load_demo()
    with django_assert_num_queries(2):
        rows = [(p.support_calendar.name, p.fault_calendar.name, len(p.targets.all())) for p in plan_list()]
    assert len(rows) == 7


def test_the_calendar_cache_follows_closed_date_changes():
    from guichet.plans.services import calendar_upsert

    cal, _ = calendar_upsert(name="Ops", hours="Mon-Fri 08:00-18:00", time_zone="Europe/Paris")
    day = datetime(2026, 12, 24, 12, tzinfo=ZoneInfo("Europe/Paris"))
    assert business_calendar(cal).is_open(day)
    cal, changed = calendar_upsert(
        name="Ops", hours="Mon-Fri 08:00-18:00", time_zone="Europe/Paris", closed_dates=[(day.date(), "Eve")]
    )
    assert changed
    assert not business_calendar(cal).is_open(day)
