"""Log a phone call in the console: the caller looked up by number (every contact with it, with its
organisation), the plan's phone-queue priority and the open tickets, then a new ticket or a reply."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.channels.models import PhoneCall
from guichet.tickets import services
from guichet.tickets.models import Channel, Ticket

from .screens import browser, events

LU = ZoneInfo("Europe/Luxembourg")
NUMBER = "+352 621 123 456"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False) as traveller:
        yield traveller


@pytest.fixture
def carla(world):
    contact = world.customer.contact
    contact.phone = NUMBER
    contact.save()
    return contact


def open_ticket(world, subject="Fax broken"):
    return services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="x",
    )


def test_the_caller_s_organisation_plan_queue_and_open_tickets_are_shown(
    world, carla, django_assert_max_num_queries
):
    tickets = [open_ticket(world, f"Problem {n}") for n in range(5)]
    sue = browser(world.supervisor)
    with django_assert_max_num_queries(20):
        page = sue.get("/console/calls/", {"number": "00352621123456"}).content.decode()
    assert "Acme" in page and "Office" in page and "Priority" in page
    assert all(t.reference in page for t in tickets)


def test_a_shared_number_lists_every_contact_with_its_organisation_and_no_tickets(world, carla):
    fred = world.foreigner.contact
    fred.phone = NUMBER
    fred.save()
    ticket = open_ticket(world)
    page = browser(world.agent).get("/console/calls/", {"number": NUMBER}).content.decode()
    assert "Acme" in page and "Globex" in page and "Several contacts have this number" in page
    assert ticket.reference not in page
    answer = browser(world.agent).post(
        "/console/calls/log",
        {"number": NUMBER, "minutes": "3", "summary": "Fax down", "requester": world.foreigner.pk},
    )
    assert answer.status_code == 302
    assert Ticket.objects.get(channel=Channel.PHONE).organisation == world.other_org


def test_a_call_opens_a_phone_ticket_for_the_caller_through_log_call(world, carla):
    alice = browser(world.agent)
    answer = alice.post(
        "/console/calls/log",
        {"number": NUMBER, "minutes": "7", "summary": "Printer offline\nsince this morning", "subject": ""},
    )
    ticket = Ticket.objects.get(channel=Channel.PHONE)
    assert answer.status_code == 302 and answer["Location"] == f"/console/tickets/{ticket.reference}/"
    assert (ticket.requester, ticket.subject) == (world.customer, "Printer offline")
    call = PhoneCall.objects.get()
    assert (call.duration_seconds, call.agent, call.contact) == (420, world.agent, carla)
    assert [e.door for e in events("ticket.created", actor=world.agent)] == ["phone"]
    followed = alice.get(answer["Location"]).content.decode()
    assert f"Call logged in {ticket.reference}." in followed


def test_a_call_about_a_ticket_is_its_reply(world, carla):
    ticket = open_ticket(world)
    answer = browser(world.agent).post(
        "/console/calls/log",
        {"number": NUMBER, "minutes": "2", "summary": "Explained", "ticket": ticket.reference},
    )
    assert answer.status_code == 302
    call = PhoneCall.objects.get()
    assert call.ticket == ticket and call.ticket_message.channel == Channel.PHONE


def test_bad_input_is_refused_naming_the_field_by_its_label(world, carla):
    alice = browser(world.agent)
    answer = alice.post("/console/calls/log", {"number": NUMBER, "minutes": "ten", "summary": "x"})
    assert answer.status_code == 400
    assert "Duration (minutes): Give the call" in answer.content.decode()
    answer = alice.post("/console/calls/log", {"number": NUMBER, "minutes": "1", "summary": " "})
    assert "What the call was about: Say what the call was about." in answer.content.decode()
    answer = alice.post(
        "/console/calls/log", {"number": NUMBER, "minutes": "1", "summary": "x", "ticket": "GT-0"}
    )
    assert "Ticket to reply to: No ticket GT-0 you can see." in answer.content.decode()
    unknown = alice.post(
        "/console/calls/log", {"number": "+33 6 00 00 00 00", "minutes": "1", "summary": "x"}
    )
    assert "Who called:" in unknown.content.decode()
    assert PhoneCall.objects.count() == 0


def test_customers_neither_look_up_callers_nor_log_calls(world, carla):
    carla_browser = browser(world.customer)
    assert carla_browser.get("/console/calls/", {"number": NUMBER}).status_code == 403
    assert (
        carla_browser.post(
            "/console/calls/log", {"number": NUMBER, "minutes": "1", "summary": "x"}
        ).status_code
        == 403
    )
    assert PhoneCall.objects.count() == 0
