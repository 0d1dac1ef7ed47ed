"""Subscriptions through the API: creation, deployment milestones, suspension, fee changes, termination."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from guichet.audit.models import AuditEvent
from guichet.contracts import services
from guichet.contracts.models import Service, Subscription
from guichet.contracts.tasks import send_termination_confirmation
from guichet.customers.models import User
from guichet.errors import ValidationError
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import ContactFactory, StaffFactory

LU = ZoneInfo("Europe/Luxembourg")
NEW = {
    "service": "sip-trunk",
    "identifier": "+352 20 30 40 50",
    "monthly_fee": "100.00",
    "start_date": "2026-01-15",
}


@pytest.fixture
def trunk(db):
    return Service.objects.create(code="sip-trunk", name="SIP trunk")


@pytest.fixture
def manager(world):
    return StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER, language="fr")


@pytest.fixture
def line(world, trunk):
    return SubscriptionFactory(organisation=world.org, service=trunk, identifier="+352 20 00 0001")


def actions(subscription):
    return list(
        AuditEvent.objects.filter(target_type="contracts.subscription", target_id=subscription.pk)
        .order_by("at", "pk")
        .values_list("action", "door")
    )


def test_staff_record_a_subscription_that_starts_ordered(world, trunk, as_user):
    response = as_user(world.supervisor).post("/subscriptions", {**NEW, "organisation_id": world.org.pk})
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["monthly_fee"], body["currency"], body["plan"]) == (
        "ordered",
        "100.00",
        "EUR",
        "office",  # the organisation's plan, the service having none
    )
    assert [m["kind"] for m in body["milestones"]] == ["ordered"]
    assert body["fees"] == [{"effective_on": "2026-01-15", "monthly_fee": "100.00"}]
    assert (body["commitment_months"], body["renewal_months"], body["notice_days"]) == (12, 12, 30)
    assert actions(Subscription.objects.get()) == [("subscription.created", "api")]


def test_bad_subscriptions_are_refused_naming_the_field(world, trunk, as_user):
    sue = as_user(world.supervisor)
    base = {**NEW, "organisation_id": world.org.pk}
    cases = [
        ({"currency": "XYZ"}, "currency", "Unknown currency 'XYZ'"),
        ({"monthly_fee": "10.005"}, "monthly_fee", "EUR amounts have at most 2 decimals."),
        ({"monthly_fee": "-1"}, "monthly_fee", "A fee cannot be negative."),
        ({"service": "fax"}, "service", "Unknown service 'fax'."),
        ({"plan": "gold"}, "plan", "Unknown plan 'gold'."),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ]
    for change, field, message in cases:
        response = sue.post("/subscriptions", {**base, **change})
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["field"] == field and message in error["message"]
    tunis = {**base, "identifier": "TN-1", "currency": "TND", "monthly_fee": "10.005"}
    assert sue.post("/subscriptions", tunis).json()["monthly_fee"] == "10.005"
    assert sue.post("/subscriptions", base).status_code == 201
    duplicate = sue.post("/subscriptions", base)
    assert duplicate.status_code == 422 and duplicate.json()["detail"][0]["field"] == "identifier"
    assert as_user(world.customer).post("/subscriptions", base).status_code == 403


def test_deployment_milestones_are_shown_and_commissioning_is_checked(world, trunk, as_user):
    sue = as_user(world.supervisor)
    pk = sue.post("/subscriptions", {**NEW, "organisation_id": world.org.pk}).json()["id"]
    path = f"/subscriptions/{pk}/milestones"
    assert sue.post(path, {"kind": "survey", "note": "Basement room B2"}).json()["status"] == "deploying"
    planned = (datetime.now(LU) + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    sue.post(path, {"kind": "installation_scheduled", "at": planned.isoformat()})
    sue.post(path, {"kind": "installed"})
    refused = sue.post(path, {"kind": "active"})
    assert (
        refused.status_code == 422 and "commissioning check passed" in refused.json()["detail"][0]["message"]
    )
    assert sue.post(path, {"kind": "verified"}).json()["detail"][0]["field"] == "check_passed"
    sue.post(path, {"kind": "verified", "check_passed": False, "note": "No dial tone on port 2"})
    assert sue.post(path, {"kind": "active"}).status_code == 422
    sue.post(path, {"kind": "verified", "check_passed": True, "note": "Test calls OK"})
    assert sue.post(path, {"kind": "active"}).json()["status"] == "active"

    seen = as_user(world.customer).get(f"/subscriptions/{pk}").json()
    assert [m["kind"] for m in seen["milestones"]] == [
        "ordered",
        "survey",
        "installed",
        "verified",
        "active",
        "installation_scheduled",  # in the order of their dates: this one is planned a month ahead
    ]
    assert seen["milestones"][3]["check_passed"] is True
    assert as_user(world.customer).post(path, {"kind": "survey"}).status_code == 403


def test_the_refusal_names_the_status_in_english_whoever_reads_it(world, line):
    """The status's label is translatable; the sentence is English, so the label in it is too."""
    line.status = "suspended"
    line.save()
    with pytest.raises(ValidationError) as err, translation.override("fr"):
        services.subscription_suspend(actor=world.customer, door="api", subscription=line, reason="theft")
    assert err.value.message_dict["subscription"] == [
        "Only an active line can be suspended; this one is suspended."
    ]


def test_a_contact_suspends_a_lost_line_at_once_and_resumes_it(world, line, as_user):
    carla = as_user(world.customer)  # admin and technical contact
    suspended = carla.post(f"/subscriptions/{line.pk}/suspend", {"reason": "theft", "note": "Phone stolen"})
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended" and suspended.json()["suspended_since"] is not None
    again = carla.post(f"/subscriptions/{line.pk}/suspend", {"reason": "theft"})
    assert again.status_code == 422 and "Only an active line" in again.json()["detail"][0]["message"]
    assert carla.post(f"/subscriptions/{line.pk}/resume").json()["status"] == "active"
    assert carla.post(f"/subscriptions/{line.pk}/resume").status_code == 422
    assert actions(line) == [("subscription.suspended", "api"), ("subscription.resumed", "api")]


def test_only_admin_or_technical_contacts_suspend(world, line, as_user):
    accountant = ContactFactory(organisation=world.org, user__username="betty", roles=["billing"]).user
    response = as_user(accountant).post(f"/subscriptions/{line.pk}/suspend", {"reason": "loss"})
    assert response.status_code == 403
    bad = as_user(world.customer).post(f"/subscriptions/{line.pk}/suspend", {"reason": "fire"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "reason"
    assert (
        as_user(world.foreigner).post(f"/subscriptions/{line.pk}/suspend", {"reason": "loss"}).status_code
        == 404
    )


def test_a_fee_change_from_a_day_on_keeps_the_history(world, line, as_user):
    with time_machine.travel(datetime(2026, 11, 24, 12, tzinfo=LU), tick=False):
        bill = as_user(world.billing_agent)
        body = bill.post(
            f"/subscriptions/{line.pk}/fees", {"monthly_fee": "120.00", "effective_on": "2026-11-16"}
        )
        assert body.status_code == 200
        assert body.json()["monthly_fee"] == "120.00"  # in force today
        future = bill.post(
            f"/subscriptions/{line.pk}/fees", {"monthly_fee": "90.00", "effective_on": "2027-01-01"}
        )
        assert future.json()["monthly_fee"] == "120.00"
        assert [f["monthly_fee"] for f in future.json()["fees"]] == ["100.00", "120.00", "90.00"]
        early = bill.post(
            f"/subscriptions/{line.pk}/fees", {"monthly_fee": "1.00", "effective_on": "2025-01-01"}
        )
        assert early.status_code == 422 and early.json()["detail"][0]["field"] == "effective_on"
        assert (
            as_user(world.agent)
            .post(f"/subscriptions/{line.pk}/fees", {"monthly_fee": "1.00", "effective_on": "2026-12-01"})
            .status_code
            == 403
        )


def test_the_earliest_end_is_shown_then_requested_and_confirmed_by_mail(world, line, manager, as_user):
    world.org.account_manager = manager
    world.org.save()
    carla = as_user(world.customer)
    with time_machine.travel(datetime(2026, 12, 20, 10, tzinfo=LU), tick=False):
        preview = carla.get(f"/subscriptions/{line.pk}/termination").json()
        # started 2026-01-15: the first term ends 2027-01-15, but the notice would reach 2027-01-19
        assert preview["last_day"] == "2028-01-14"
        earlier = carla.get(f"/subscriptions/{line.pk}/termination", on="2026-12-16").json()
        assert earlier["last_day"] == "2027-01-14"
        colin = as_user(world.colleague)  # a technical contact only
        assert colin.post(f"/subscriptions/{line.pk}/termination").status_code == 403
        response = carla.post(f"/subscriptions/{line.pk}/termination")
    assert response.status_code == 201
    body = response.json()
    assert body["end_date"] == "2028-01-14" and body["termination"]["requested_on"] == "2026-12-20"
    assert "2028-01-14" in body["termination"]["explanation"]
    again = carla.post(f"/subscriptions/{line.pk}/termination")
    assert (
        again.status_code == 422 and "already requested on 2026-12-20" in again.json()["detail"][0]["message"]
    )
    assert actions(line) == [("subscription.termination_requested", "api")]

    request = line.terminations.get()
    assert send_termination_confirmation.call(request.pk) == 2  # Carla (admin contact) and Max
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"carla@example.com", "max@example.com"}
    assert "2028-01-14" in by_address["carla@example.com"].body
    assert by_address["max@example.com"].subject.startswith("Demande de résiliation")  # Max reads French


def test_ended_subscriptions_are_marked_terminated_by_the_hourly_job(world, line):
    services.termination_request(actor=world.customer, door="web", subscription=line)
    line.refresh_from_db()
    assert services.terminate_ended(line.end_date) == 0  # the last day is still a day of service
    assert services.terminate_ended(date.fromordinal(line.end_date.toordinal() + 1)) == 1
    line.refresh_from_db()
    assert line.status == "terminated"
    assert actions(line)[-1] == ("subscription.terminated", "system")


def test_contacts_list_only_their_organisations_subscriptions_in_constant_queries(
    world, trunk, as_user, django_assert_max_num_queries
):
    for n in range(5):
        SubscriptionFactory(organisation=world.org, service=trunk, identifier=f"acme-{n}")
        SubscriptionFactory(organisation=world.other_org, service=trunk, identifier=f"globex-{n}")
    carla = as_user(world.customer)
    carla.get("/me")
    with django_assert_max_num_queries(4):  # token, user, contact, the list
        rows = carla.get("/subscriptions").json()
    assert sorted(r["identifier"] for r in rows) == [f"acme-{n}" for n in range(5)]
    assert (
        len(as_user(world.supervisor).get("/subscriptions", organisation_id=world.other_org.pk).json()) == 5
    )
