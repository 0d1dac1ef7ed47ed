"""Quality objectives (000: a latency objective; the further the miss, the bigger the discount): measures per
subscription per month, the discount they give, and quality claims."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from guichet.billing.models import Credit
from guichet.plans.models import QualityObjective, validate_tiers
from guichet.tickets import services as tickets
from tests.contracts.factories import SubscriptionFactory

LU = ZoneInfo("Europe/Luxembourg")


@pytest.fixture
def line(world):
    subscription = SubscriptionFactory(organisation=world.org, identifier="LU-IP-1")
    QualityObjective.objects.create(
        plan=subscription.plan,
        metric="latency",
        unit="ms",
        objective=Decimal("50"),
        tiers=[["1", "5"], ["10", "10"], ["25", "25"]],
    )
    return subscription


def test_a_measure_missing_the_objective_gives_the_discount_of_its_tier(world, line, as_user):
    nora = as_user(world.noc_agent)
    path = f"/subscriptions/{line.pk}/measurements"
    recorded = nora.post(path, {"metric": "latency", "year": 2026, "month": 10, "value": "63"})
    assert recorded.status_code == 201
    assert recorded.json() == {
        "subscription_id": line.pk,
        "metric": "latency",
        "unit": "ms",
        "month": "2026-10",
        "objective": "50",
        "measured": "63",
        "discount": "10.00",
        "currency": "EUR",
        "explanation": "measured 63 ms against 50 ms objective (13 ms over): tier from 10 ms, "
        "10 % of 100.00 EUR = 10.00 EUR",
    }
    corrected = nora.post(path, {"metric": "latency", "year": 2026, "month": 10, "value": "49.5"})
    assert corrected.json()["discount"] == "0.00"  # within the objective
    seen = as_user(world.customer).get(f"/subscriptions/{line.pk}/quality", year=2026, month=10).json()
    assert seen["measured"] == "49.5"


def test_only_the_plans_metrics_are_measured_and_only_by_staff(world, line, as_user):
    path = f"/subscriptions/{line.pk}/measurements"
    wrong = as_user(world.noc_agent).post(path, {"metric": "jitter", "year": 2026, "month": 10, "value": "3"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0] == {
        "field": "metric",
        "message": "The Office plan has no 'jitter' objective: latency.",
    }
    mine = as_user(world.customer).post(path, {"metric": "latency", "year": 2026, "month": 10, "value": "1"})
    assert mine.status_code == 403
    assert mine.json()["detail"] == "Only the provider's staff record quality measurements."  # names the act


def test_tiers_are_checked_when_a_plan_is_edited():
    validate_tiers([["0", "5"], [10, "12.5"]])
    for bad in ([], [["1"]], [["1", "101"]], [["1", "5"], ["1", "6"]], [["x", "5"]], "5 %"):
        with pytest.raises(ValidationError):
            validate_tiers(bad)


def test_a_quality_claim_is_priced_by_the_months_measure(
    world, line, as_user, django_capture_on_commit_callbacks
):
    from tests.customers.factories import StaffFactory

    as_user(world.noc_agent).post(
        f"/subscriptions/{line.pk}/measurements",
        {"metric": "latency", "year": 2026, "month": 10, "value": "80"},
    )
    with time_machine.travel(datetime(2026, 10, 20, 9, tzinfo=LU), tick=False):
        ticket = tickets.ticket_create(
            actor=world.customer,
            door="api",
            organisation=world.org,
            requester=world.customer,
            subject="Latency",
            description="Slow",
            category="incident",
        )
    body = {
        "subscription_id": line.pk,
        "kind": "quality",
        "customer_name": "Acme",
        "customer_contact": "carla@example.com",
        "outage_start": "2026-10-01T00:00:00+02:00",
        "outage_end": "2026-10-31T23:59:00+01:00",
        "ticket": ticket.reference,
        "description": "Latency above the objective all month",
    }
    with time_machine.travel(datetime(2026, 11, 3, 10, tzinfo=LU), tick=False):
        claim = as_user(world.customer).post("/claims", body).json()
        assert (claim["kind"], claim["metric"], claim["proposed_amount"]) == ("quality", "latency", "25.00")
        assert claim["computation"].startswith("2026-10: measured 80 ms against 50 ms objective (30 ms over)")
        manager = StaffFactory(username="max", kind="account_manager")
        as_user(manager).post(f"/claims/{claim['id']}/decision", {"decision": "approve"})
    assert Credit.objects.get().kind == "quality"
