"""The phone: who is calling, and calls logged into tickets through the API."""

import pytest

from guichet.channels.models import PhoneCall
from guichet.tickets.models import Ticket


@pytest.fixture
def carla(world):
    contact = world.customer.contact
    contact.phone = "+352 621 123 456"
    contact.save()
    return contact


def test_a_known_number_shows_the_organisation_its_plan_and_its_queue(world, as_user, carla):
    sue = as_user(world.supervisor)
    ref = as_user(world.customer).post("/tickets", {"subject": "Fax", "description": "?"}).json()["reference"]
    found = sue.get("/calls/caller", number="00352621123456").json()
    assert found == {
        "known": True,
        "ambiguous": False,
        "candidates": [],
        "contact_id": carla.pk,
        "name": world.customer.display_name,
        "organisation_id": world.org.pk,
        "organisation": "Acme",
        "plan": "Office",
        "phone_queue_priority": "Priority",
        "phone_included": True,
        "open_tickets": [ref],
    }
    assert sue.get("/calls/caller", number="+33 6 12 34 56 78").json()["known"] is False


def test_the_callers_open_tickets_are_only_those_the_agent_may_see(world, as_user, carla):
    customer = as_user(world.customer)
    request = customer.post("/tickets", {"subject": "Fax", "description": "?"}).json()["reference"]
    incident = customer.post(
        "/tickets", {"subject": "Line down", "description": "?", "category": "incident"}
    ).json()["reference"]  # the NOC's, not the support desk's
    alice_sees = as_user(world.agent).get("/calls/caller", number="00352621123456").json()["open_tickets"]
    nora_sees = as_user(world.noc_agent).get("/calls/caller", number="00352621123456").json()["open_tickets"]
    assert (alice_sees, nora_sees) == ([request], [incident])


def test_customers_neither_see_callers_nor_log_calls(world, as_user, carla):
    carla_api = as_user(world.customer)
    assert carla_api.get("/calls/caller", number="352621123456").status_code == 403
    body = {"number": "352621123456", "duration_seconds": 60, "summary": "hello"}
    assert carla_api.post("/calls", body).status_code == 403


def test_a_call_opens_a_phone_ticket_for_the_caller(world, as_user, carla):
    alice = as_user(world.agent)
    body = {"number": "+352 621 123 456", "duration_seconds": 250, "summary": "Printer offline\nOn floor 3"}
    created = alice.post("/calls", body)
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(reference=created.json()["ticket"])
    assert (ticket.channel, ticket.requester, ticket.subject) == ("phone", world.customer, "Printer offline")
    assert ticket.messages.get().body.startswith(
        f"Phone call with {world.customer.display_name} (+352621123456), 4 min:"
    )


def test_a_call_about_a_ticket_answers_it(world, as_user, carla):
    ref = as_user(world.customer).post("/tickets", {"subject": "Fax", "description": "?"}).json()["reference"]
    alice = as_user(world.agent)
    body = {
        "number": "352621123456",
        "duration_seconds": 90,
        "summary": "Explained the settings",
        "ticket": ref,
    }
    assert alice.post("/calls", body).status_code == 201
    ticket = Ticket.objects.get(reference=ref)
    assert ticket.first_response_at is not None and ticket.messages.count() == 2
    assert PhoneCall.objects.get().ticket == ticket


def test_an_unknown_number_needs_the_contact_who_called(world, as_user, carla):
    alice = as_user(world.agent)
    body = {"number": "+33 6 12 34 56 78", "duration_seconds": 60, "summary": "Called from a mobile"}
    refused = alice.post("/calls", body)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "requester_id"
    assert alice.post("/calls", {**body, "requester_id": world.colleague.pk}).status_code == 201


def test_a_plan_without_the_phone_refuses_a_phone_ticket_naming_its_channels(world, as_user, carla):
    world.use_plan("basic")
    body = {"number": "352621123456", "duration_seconds": 60, "summary": "Line down"}
    refused = as_user(world.agent).post("/calls", body)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "field": "channel",
            "message": "The Basic plan does not include support by Phone: use Portal, the API, Email.",
        }
    ]
    assert PhoneCall.objects.count() == 0 and Ticket.objects.count() == 0
