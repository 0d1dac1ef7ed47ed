"""Extreme dates and numbers at every door of contracts, claims, credits and WhatsApp (issue 13): the last
day of the calendar, instants that cannot be written in UTC, amounts that are not numbers, timestamps past
year 9999. Each is a 4xx naming the field (or, for WhatsApp, a message filed with the reason), never a 5xx,
with nothing half written."""

import hashlib
import hmac
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet.billing.models import Claim, Credit
from guichet.channels.models import WhatsAppMessage
from guichet.contracts.models import Service, Subscription, TerminationRequest
from guichet.customers.models import User
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import StaffFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
FILING = datetime(2026, 12, 3, 10, tzinfo=LU)


def fields(response, status=422):
    assert response.status_code == status, response.content
    return {error["field"] for error in response.json()["detail"]}


@pytest.fixture
def line(world):
    return SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")


def test_a_termination_preview_on_the_last_day_of_the_calendar_is_a_422_naming_the_day(world, line, as_user):
    carla = as_user(world.customer)
    assert fields(carla.get(f"/subscriptions/{line.pk}/termination", on="9999-12-31")) == {"on"}
    assert fields(carla.get(f"/subscriptions/{line.pk}/termination", on="9999-11-20")) == {"on"}
    assert carla.get(f"/subscriptions/{line.pk}/termination", on="0001-01-01").status_code == 200


@pytest.mark.parametrize("start", ["9999-12-31", "9999-01-01"])
def test_a_subscription_whose_first_term_ends_past_the_calendar_is_refused(world, as_user, start):
    Service.objects.create(code="sip-trunk", name="SIP trunk")
    body = {
        "organisation_id": world.org.pk,
        "service": "sip-trunk",
        "identifier": "+352 20 30 40 50",
        "monthly_fee": "100.00",
        "start_date": start,
    }
    assert fields(as_user(world.supervisor).post("/subscriptions", body)) == {"start_date"}
    assert Subscription.objects.count() == 0


def test_a_subscription_starting_near_the_end_of_the_calendar_still_shows_its_pages(world, as_user):
    line = SubscriptionFactory(organisation=world.org, start_date=datetime(9999, 12, 1).date())
    carla = Client()
    carla.force_login(world.customer)
    assert carla.get(f"/extranet/services/{line.pk}/terminate").status_code == 302
    answer = carla.post(f"/extranet/services/{line.pk}/terminate")
    assert answer.status_code == 302
    assert TerminationRequest.objects.count() == 0
    api = as_user(world.customer)
    assert fields(api.get(f"/subscriptions/{line.pk}/termination")) == {"on"}
    assert fields(api.post(f"/subscriptions/{line.pk}/termination")) == {"subscription"}


def test_a_fee_change_on_the_last_day_of_the_calendar_is_accepted(world, line, as_user):
    sue = as_user(world.supervisor)
    response = sue.post(
        f"/subscriptions/{line.pk}/fees", {"monthly_fee": "1.00", "effective_on": "9999-12-31"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "9" * 40])
def test_the_consoles_decision_refuses_an_amount_that_is_not_a_number(world, line, as_user, amount):
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    with time_machine.travel(datetime(2026, 11, 13, tzinfo=LU), tick=False):
        declare_outage(
            world, line, datetime(2026, 11, 3, 10, tzinfo=LU), datetime(2026, 11, 3, 12, tzinfo=LU)
        )
    body = {
        "subscription_id": line.pk,
        "customer_name": "Acme",
        "customer_contact": "carla@example.com",
        "outage_start": "2026-11-03T09:00:00+01:00",
        "outage_end": "2026-11-03T13:00:00+01:00",
        "ticket": ticket.reference,
        "description": "No calls",
    }
    with time_machine.travel(FILING, tick=False):
        pk = as_user(world.customer).post("/claims", body).json()["id"]
    max_ = Client()
    max_.force_login(StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER))
    answer = max_.post(
        f"/console/claims/{pk}/decide", {"decision": "partial", "amount": amount, "reason": "Part of it."}
    )
    assert answer.status_code == 400 and b"amount" in answer.content
    assert Claim.objects.get().status == "filed" and Credit.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00", "2026-11-03T13:00", "outage_start"),  # in year 0 in UTC (Tokyo is +09:00)
        ("0001-01-01T00:00", "9999-12-31T23:59", "outage_start"),
        ("2026-02-30T09:00", "2026-11-03T13:00", "outage_start"),
        ("99999-01-01T00:00", "2026-11-03T13:00", "outage_start"),
        ("2026-11-03T09:00", "2026-11-31T13:00", "outage_end"),
    ],
)
def test_the_claim_form_refuses_instants_out_of_range_naming_the_field(world, line, start, end, field):
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    world.customer.time_zone = "Asia/Tokyo"
    world.customer.save()
    carla = Client()
    carla.force_login(world.customer)
    with time_machine.travel(FILING, tick=False):
        answer = carla.post(
            "/extranet/claims/new",
            {
                "subscription_id": line.pk,
                "customer_name": "Acme",
                "customer_contact": "carla@example.com",
                "outage_start": start,
                "outage_end": end,
                "ticket": ticket.reference,
                "description": "No calls",
            },
        )
    assert answer.status_code == 400, answer.status_code
    label, beside = {
        "outage_start": ("Start of the outage: ", 'id="id_start-error"'),
        "outage_end": ("End of the outage: ", 'id="id_end-error"'),
    }[field]
    assert label in answer.text and beside in answer.text and Claim.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "field"),
    [("0001-01-01T00:00:00+14:00", "outage_start"), ("9999-12-31T23:59:59-14:00", "outage_start")],
)
def test_claims_through_the_api_refuse_instants_out_of_range(world, line, as_user, start, field):
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    body = {
        "subscription_id": line.pk,
        "customer_name": "Acme",
        "customer_contact": "carla@example.com",
        "outage_start": start,
        "outage_end": "2026-11-03T13:00:00+01:00",
        "ticket": ticket.reference,
        "description": "No calls",
    }
    with time_machine.travel(FILING, tick=False):
        assert fields(as_user(world.customer).post("/claims", body)) == {field}
    assert Claim.objects.count() == 0


SECRET = "app-secret-for-tests"


@pytest.mark.parametrize(
    "timestamp", ["99999999999999999999", "-99999999999", "253402300800", "soon", "1e10"]
)
def test_a_whatsapp_message_with_an_impossible_timestamp_is_filed_at_its_arrival(world, settings, timestamp):
    settings.WHATSAPP_APP_SECRET = SECRET
    world.use_plan("saas-support")
    contact = world.customer.contact
    contact.phone = "+352 621 123 456"
    contact.save()
    message = {"from": "352621123456", "id": "wamid.1", "timestamp": timestamp, "type": "text"}
    message["text"] = {"body": "No calls since this morning"}
    body = json.dumps({"entry": [{"changes": [{"value": {"contacts": [], "messages": [message]}}]}]}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    arrival = datetime(2026, 11, 3, 10, tzinfo=LU)
    with time_machine.travel(arrival, tick=False):
        answer = Client().post(
            "/channels/whatsapp/webhook",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature,
        )
    assert answer.status_code == 200
    row = WhatsAppMessage.objects.get()
    assert row.sent_at == arrival and row.ticket is not None
    assert "timestamp" in row.reason


@pytest.mark.parametrize(
    "starts", ["9999-12-31T23:59:59-10:00", "2026-02-30T10:00:00Z", "0001-01-01T00:00:00+05:00"]
)
def test_alertmanager_ignores_an_alert_whose_start_is_out_of_range(world, line, as_user, starts):
    payload = {
        "version": "4",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "TrunkDown", "guichet_subscription": str(line.pk)},
                "annotations": {},
                "startsAt": starts,
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "abc",
            }
        ],
    }
    answer = as_user(world.noc_agent, can_post_alerts=True).post("/outages/alertmanager", payload)
    assert answer.status_code == 200 and answer.json()["ignored"] == 1


@pytest.mark.parametrize(
    ("start", "end"), [(date(1, 1, 1), date(9999, 12, 31)), (date(2026, 1, 15), date.max)]
)
def test_a_service_ending_on_the_last_day_of_the_calendar_shows_its_availability(world, as_user, start, end):
    """A termination date of 9999-12-31 (the admin takes any date) made the availability of every page that
    shows it a 500: the day after the last day does not exist."""
    line = SubscriptionFactory(organisation=world.org, start_date=start, end_date=end)
    api = as_user(world.customer)
    answer = api.get(f"/subscriptions/{line.pk}/availability", year=2026, month=11)
    assert answer.status_code == 200 and answer.json()["percent"] == "100.000"
    carla = Client()
    carla.force_login(world.customer)
    assert carla.get("/extranet/").status_code == 200
    assert carla.get(f"/extranet/services/{line.pk}/").status_code == 200


def test_the_refusals_of_dates_read_in_the_viewers_language(world, line):
    world.customer.language = "fr"
    world.customer.save()
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    carla = Client()
    carla.force_login(world.customer)
    with time_machine.travel(FILING, tick=False):
        form = carla.post(
            "/extranet/claims/new",
            {"subscription_id": line.pk, "outage_start": "2026-02-30T09:00", "ticket": ticket.reference},
        )
    assert "pas une date et une heure du calendrier" in form.text
