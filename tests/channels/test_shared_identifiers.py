"""An address or a number that several people share (data from before it identified one person) is held for
an agent: mail and WhatsApp messages are filed as nobody's, the ringing phone names no organisation. Never
"the oldest row"."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.channels.mail.services import receive
from guichet.channels.models import InboundMail, Mailbox, PhoneCall, WhatsAppMessage
from guichet.tickets.models import Ticket

from .mail.test_inbound import raw
from .test_whatsapp import event, post, text, whatsapp_settings  # noqa: F401 (an autouse fixture)

LU = ZoneInfo("Europe/Luxembourg")
NUMBER = "+352 621 123 456"


@pytest.fixture
def shared_number(world):
    """Carla (Acme) and Fred (Globex) both have the number: Fred's row is written straight to the table, as
    it was before numbers identified one person."""
    world.use_plan("saas-support")  # WhatsApp and the phone included
    for user in (world.customer, world.foreigner):
        contact = user.contact
        contact.phone = NUMBER
        contact.save()


def test_mail_from_an_address_two_people_have_is_held_for_an_agent(world):
    world.agent.email = "carla@example.com"  # Alice (staff) and Carla (Acme's contact)
    world.agent.save()
    box = Mailbox.objects.create(name="Support", address="support@guichet.example")
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False):
        row = receive(raw("new_plain_carla.eml"), mailbox=box)
    assert (row.outcome, row.ticket) == (InboundMail.Outcome.HELD, None)
    assert "2 people have this address" in row.reason
    assert Ticket.objects.count() == 0


def test_a_whatsapp_message_from_a_shared_number_is_held_not_put_to_the_oldest_contact(world, shared_number):
    assert post(event(text("wamid.1", "Line down"))).status_code == 200
    row = WhatsAppMessage.objects.get()
    assert (row.outcome, row.ticket) == (WhatsAppMessage.Outcome.HELD, None)
    assert "number of 2 contacts" in row.reason
    assert Ticket.objects.count() == 0


def test_the_ringing_phone_shows_the_ambiguity_and_picks_no_organisation(world, as_user, shared_number):
    found = as_user(world.agent).get("/calls/caller", number=NUMBER).json()
    assert (found["known"], found["ambiguous"], found["organisation_id"], found["plan"]) == (
        True,
        True,
        None,
        None,
    )
    assert found["open_tickets"] == []
    assert {c["organisation_id"] for c in found["candidates"]} == {world.org.pk, world.other_org.pk}


def test_a_call_from_a_shared_number_needs_the_contact_who_called(world, as_user, shared_number):
    alice = as_user(world.agent)
    body = {"number": NUMBER, "duration_seconds": 60, "summary": "Line down"}
    refused = alice.post("/calls", body)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "requester_id"
    assert "several contacts" in refused.json()["detail"][0]["message"]
    assert Ticket.objects.count() == 0 and PhoneCall.objects.count() == 0
    created = alice.post("/calls", {**body, "requester_id": world.foreigner.pk})
    assert created.status_code == 201
    assert Ticket.objects.get().organisation == world.other_org
