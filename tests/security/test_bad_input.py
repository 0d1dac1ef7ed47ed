"""Bad input that used to be a 500 (found by schemathesis, then looked for in the pages): NUL characters,
which PostgreSQL cannot store; ids past the 64-bit columns, which SQLite cannot bind; "²", a digit to
str.isdigit() and not to int(); time zone offsets PostgreSQL refuses; amounts past the money columns. Each is
now a 4xx naming what is wrong, on both databases."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guichet.tickets.models import Ticket
from tests.contracts.factories import SubscriptionFactory

HUGE = "9" * 25


def fields(response, status=422):
    assert response.status_code == status, response.content
    return {error["field"] for error in response.json()["detail"]}


def test_the_api_refuses_nul_characters_naming_the_field(world, ticket, as_user):
    carla = as_user(world.customer)
    assert fields(carla.post("/tickets", {"subject": "a\x00b", "description": "x"})) == {"subject"}
    nested = carla.post("/tickets", {"subject": "ok", "description": "x", "watchers": ["a\x00"]})
    assert fields(nested) == {"watchers.0"}
    assert fields(carla.post(f"/tickets/{ticket.reference}/replies", {"body": "x\x00"})) == {"body"}
    # (and a field called "body" is named in any refusal: it once came out as None)
    assert fields(carla.post(f"/tickets/{ticket.reference}/replies", {"body": 5})) == {"body"}
    assert fields(carla.get("/tickets", status="open\x00")) == {"status"}
    assert fields(carla.get("/tickets/GT-\x00/messages")) == {"ref"}
    upload = carla.client.post(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        {"file": SimpleUploadedFile("a.txt", b"hello"), "body": "see\x00"},
        **carla._h(),
    )
    assert fields(upload) == {"body"}
    assert ticket.messages.count() == 1 and Ticket.objects.count() == 1


def test_the_api_refuses_ids_past_the_database_columns_naming_the_field(world, as_user):
    sue = as_user(world.supervisor)
    assert fields(sue.get("/tickets", team_id=HUGE)) == {"team_id"}
    assert fields(sue.get("/tickets", offset=HUGE)) == {"offset"}
    assert fields(sue.get(f"/organisations/{HUGE}")) == {"org_id"}
    body = {"subject": "s", "description": "d", "organisation_id": int(HUGE)}
    assert fields(sue.post("/tickets", body)) == {"organisation_id"}
    # A ticket's reference may be its id: a huge one, or "²", is no ticket.
    assert sue.get(f"/tickets/{HUGE}").status_code == 404
    assert sue.get("/tickets/²").status_code == 404


def test_instants_are_taken_in_utc_and_amounts_within_the_columns(world, as_user):
    line = SubscriptionFactory(organisation=world.org)
    nora = as_user(world.noc_agent)
    body = {"subscription_ids": [line.pk], "started_at": "2026-11-03T09:00:00+19:30", "title": "Down"}
    declared = nora.post("/outages", body)
    assert declared.status_code == 201, declared.content
    assert declared.json()["started_at"] in ("2026-11-02T13:30:00Z", "2026-11-02T13:30:00+00:00")
    late = nora.post("/outages", {**body, "started_at": "9999-12-31T23:59:59-05:00"})
    assert fields(late) == {"started_at"}
    bill = as_user(world.supervisor)
    fee = bill.post(f"/subscriptions/{line.pk}/fees", {"monthly_fee": 1.37e112, "effective_on": "2026-12-01"})
    assert fields(fee) == {"monthly_fee"}


def test_pages_refuse_nul_characters(world, ticket):
    carla = Client()
    carla.force_login(world.customer)
    response = carla.post("/extranet/tickets/new", {"subject": "a\x00b", "description": "x"})
    assert response.status_code == 400 and Ticket.objects.count() == 1
    sue = Client()
    sue.force_login(world.supervisor)
    assert sue.post(f"/console/tickets/{ticket.reference}/reply", {"body": "x\x00"}).status_code == 400
    assert sue.get("/console/", {"team": "\x00"}).status_code == 400
    assert ticket.messages.count() == 1


def test_pages_take_odd_numbers_as_no_number(world, ticket):
    sue = Client()
    sue.force_login(world.supervisor)
    for params in [{"team": "²"}, {"team": HUGE}, {"organisation": HUGE}, {"offset": HUGE}, {"offset": "²"}]:
        assert sue.get("/console/", params).status_code == 200, params
    change = sue.post(f"/console/tickets/{ticket.reference}/change", {"team": HUGE, "assignee": "²"})
    assert change.status_code == 302
    for ref in ["²", HUGE]:
        assert sue.get(f"/console/tickets/{ref}/").status_code == 404
    carla = Client()
    carla.force_login(world.customer)
    assert carla.get(f"/extranet/tickets/{HUGE}/").status_code == 404


def test_the_similar_tickets_fragment_takes_an_odd_service_id_as_none(world):
    carla = Client()
    carla.force_login(world.customer)
    response = carla.get("/extranet/tickets/similar", {"subject": "Phones dead", "subscription_id": "²"})
    assert response.status_code == 200


@pytest.mark.parametrize("odd", ["²", HUGE, "-1"])
def test_extranet_forms_refuse_an_odd_service_id_naming_the_field(world, odd):
    carla = Client()
    carla.force_login(world.customer)
    ticket = carla.post(
        "/extranet/tickets/new", {"subject": "Phones dead", "description": "No tone", "subscription_id": odd}
    )
    claim = carla.post("/extranet/claims/new", {"subscription_id": odd, "description": "Down"})
    assert ticket.status_code == 400 and "Service concerned: Choose one of your services." in ticket.text
    assert claim.status_code == 400 and "Service: Choose the service the claim is about." in claim.text
    assert b"subscription_id:" not in ticket.content + claim.content  # the field's label, not its code
