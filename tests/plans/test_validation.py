"""A calendar or plan with a bad spec, zone, country or target is refused, naming the field."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guichet.plans.models import Clock, PlanTarget, Priority
from guichet.plans.services import TargetSpec, calendar_upsert, plan_upsert

from .factories import CalendarFactory, SlaPlanFactory

pytestmark = pytest.mark.django_db


def _upsert_error(**kwargs) -> dict:
    fields = {"name": "Support", "hours": "Mon-Fri 08:00-18:00", "time_zone": "Europe/Paris", **kwargs}
    with pytest.raises(ValidationError) as exc:
        calendar_upsert(**fields)
    return exc.value.message_dict


def test_unparsable_hours_are_refused_naming_the_bad_part():
    errors = _upsert_error(hours="Mon-Fri 8-18")
    assert list(errors) == ["hours"]
    assert "'8'" in errors["hours"][0]


def test_unknown_time_zone_is_refused():
    errors = _upsert_error(time_zone="Europe/Nowhere")
    assert "time_zone" in errors
    assert "Europe/Nowhere" in errors["time_zone"][0]


def test_abbreviated_zone_names_are_refused():
    assert "time_zone" in _upsert_error(time_zone="WET-ish")


def test_unknown_country_is_refused():
    errors = _upsert_error(country="XX")
    assert list(errors) == ["country"]
    assert "'XX'" in errors["country"][0]


def test_a_refused_calendar_change_leaves_the_stored_calendar_untouched():
    calendar, _ = calendar_upsert(name="Support", hours="Mon-Fri 08:00-18:00", time_zone="Europe/Paris")
    with pytest.raises(ValidationError):
        calendar_upsert(name="Support", hours="Mon-Fri 18:00-08:00", time_zone="Europe/Paris")
    calendar.refresh_from_db()
    assert calendar.hours == "Mon-Fri 08:00-18:00"


def _plan(**kwargs):
    cal = CalendarFactory()
    fields = {
        "code": "gold",
        "name": "Gold",
        "support_calendar": cal,
        "fault_calendar": cal,
        "targets": [TargetSpec(Clock.FIRST_RESPONSE, Decimal(4))],
        **kwargs,
    }
    return plan_upsert(**fields)


def test_negative_target_is_refused_naming_the_target():
    with pytest.raises(ValidationError) as exc:
        _plan(
            targets=[TargetSpec(Clock.FIRST_RESPONSE, Decimal(4)), TargetSpec(Clock.RESOLUTION, Decimal(-1))]
        )
    assert list(exc.value.message_dict) == ["targets[1].amount"]


def test_fractional_business_days_are_refused():
    with pytest.raises(ValidationError) as exc:
        _plan(targets=[TargetSpec(Clock.FIRST_RESPONSE, Decimal("1.5"), "business_days")])
    assert "targets[0].amount" in exc.value.message_dict


def test_duplicate_target_is_refused():
    with pytest.raises(ValidationError) as exc:
        _plan(targets=[TargetSpec(Clock.RESOLUTION, Decimal(4)), TargetSpec(Clock.RESOLUTION, Decimal(5))])
    assert "targets[1]" in exc.value.message_dict


def test_credit_rate_without_cap_is_refused():
    with pytest.raises(ValidationError) as exc:
        _plan(credit_rate_per_hour=Decimal(20))
    assert "monthly_credit_cap" in exc.value.message_dict


def test_availability_above_100_percent_is_refused():
    with pytest.raises(ValidationError) as exc:
        _plan(availability_guarantee=Decimal("100.5"))
    assert "availability_guarantee" in exc.value.message_dict


def test_unknown_channel_is_refused():
    with pytest.raises(ValidationError) as exc:
        _plan(channels=["email", "pigeon"])
    assert "'pigeon'" in exc.value.message_dict["channels"][0]


def test_a_refused_plan_change_keeps_the_stored_plan_and_targets():
    plan, _ = _plan()
    with pytest.raises(ValidationError):
        _plan(name="Renamed", targets=[TargetSpec(Clock.FIRST_RESPONSE, Decimal(0))])
    plan.refresh_from_db()
    assert plan.name == "Gold"
    assert [(t.clock, t.amount) for t in plan.targets.all()] == [(Clock.FIRST_RESPONSE, Decimal("4.00"))]


def test_the_database_refuses_a_non_positive_target_written_around_the_service():
    plan = SlaPlanFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanTarget.objects.create(
            plan=plan, clock=Clock.RESOLUTION, priority=Priority.LOW, amount=Decimal(-2)
        )


def test_the_database_refuses_a_credit_rate_without_cap():
    plan = SlaPlanFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(plan).objects.filter(pk=plan.pk).update(credit_rate_per_hour=Decimal(20))
