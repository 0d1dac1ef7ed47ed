"""Mail header injection: a ticket subject and a contact's name carrying line breaks and headers of their own
(`\\r\\nBcc: victim@example.com`, `\\nSubject: x`) reach outbound mail — acknowledgement, reply, resolution,
the on-call page — as text: the line breaks become spaces, no header is added, and the mail still leaves
(rather than failing with Django's BadHeaderError)."""

from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from guichet.channels import oncall
from guichet.channels.mail.outbound import send_ticket_mail
from guichet.channels.models import OnCallRota, OnCallShift, PageAttempt
from guichet.tickets import services as tickets

LU = ZoneInfo("Europe/Luxembourg")
SUBJECTS = [
    "Trunk down\r\nBcc: victim@example.com",
    "Trunk down\nSubject: x",
    "Trunk down\rBcc: v@example.com",
]


def sent() -> list:
    """The mail sent, as the bytes on the wire read back by a mail client."""
    return [message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in mail.outbox]


def assert_clean(message):
    assert message["Bcc"] is None and message["Cc"] is None
    assert len(message.get_all("Subject")) == 1 and len(message.get_all("To")) == 1
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["To"] == "carla@example.com"


@pytest.fixture
def hostile_name(world):
    world.customer.first_name = "Carla\r\nBcc: victim@example.com"
    world.customer.last_name = "\nSubject: x"
    world.customer.save()


def open_ticket(world, subject, **kw):
    return tickets.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="No calls",
        **kw,
    )


@pytest.mark.parametrize("subject", SUBJECTS)
def test_acknowledgement_reply_and_resolution_carry_no_injected_header(world, hostile_name, subject):
    ticket = open_ticket(world, subject)
    assert send_ticket_mail.call(ticket.pk, "received") == 1
    answer = tickets.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="Looking\r\nBcc: x@y.z")
    assert send_ticket_mail.call(ticket.pk, "reply", answer.pk) == 1
    tickets.ticket_change(
        actor=world.agent, door="api", ticket=ticket, expected_version=None, status="resolved"
    )
    assert send_ticket_mail.call(ticket.pk, "resolved") == 1
    messages = sent()
    assert len(messages) == 3
    for message in messages:
        assert_clean(message)
    folded = " ".join(subject.replace("\r", " ").replace("\n", " ").split())
    assert messages[0]["Subject"] == f"[{ticket.reference}] {folded}"
    assert messages[1]["Subject"] == f"Re: [{ticket.reference}] {folded}"
    # The name is in the body only, where a line break is just a line break.
    assert "Bcc: victim@example.com" in mail.outbox[0].body
    assert [m.bcc for m in mail.outbox] == [[], [], []]
    assert {tuple(m.recipients()) for m in mail.outbox} == {("carla@example.com",)}


def test_a_ticket_opened_through_the_api_with_a_hostile_subject_is_acknowledged(world, as_user):
    carla = as_user(world.customer)
    created = carla.post("/tickets", {"subject": SUBJECTS[0], "description": "x"})
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    assert send_ticket_mail.call(ticket_id, "received") == 1
    assert_clean(sent()[0])


def test_the_on_call_page_of_a_hostile_subject_still_leaves(world):
    rota = OnCallRota.objects.create(team=world.noc, acknowledge_minutes=15)
    world.noc_agent.email = "nora@provider.example"
    world.noc_agent.save()
    saturday_night = datetime(2026, 12, 5, 23, 0, tzinfo=LU)
    OnCallShift.objects.create(
        rota=rota,
        user=world.noc_agent,
        starts_at=datetime(2026, 11, 30, tzinfo=LU),
        ends_at=datetime(2026, 12, 7, tzinfo=LU),
        position=1,
    )
    with time_machine.travel(saturday_night, tick=False):
        open_ticket(world, SUBJECTS[0], category="incident", priority="urgent")
        attempt = PageAttempt.objects.get()
        assert oncall.send_page.call(attempt.pk) is True
    [page] = sent()
    assert page["Bcc"] is None and len(page.get_all("Subject")) == 1
    assert page["Subject"].endswith("EMERGENCY: Trunk down Bcc: victim@example.com")
    assert page["To"] == "nora@provider.example"
