"""Held and triaged mail in the console: read safely (plain text; HTML sanitised and made text; attachments
listed, not rendered), turned into a ticket, added to one, or dropped with a reason; dead letters replayed.
Each act is a service of channels.mail.services: audited, in one transaction, for the support desk."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile

from guichet.channels.mail.services import receive
from guichet.channels.models import DeadLetter, InboundMail, Mailbox
from guichet.tickets import services
from guichet.tickets.models import Channel, MessageKind, Ticket

from .screens import browser, events

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 11, 30, 10, tzinfo=LU)
Outcome = InboundMail.Outcome

HOSTILE = b"""From: Someone <stranger@unknown.example>
To: support@guichet.example
Subject: Please call me back
Message-ID: <hostile.1@unknown.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/html; charset=utf-8

<p>Hello <b>team</b></p><script>alert('owned')</script><img src="x" onerror="alert(1)">
<a href="javascript:alert(2)">click</a>
--b1
Content-Type: text/html; name="page.html"
Content-Disposition: attachment; filename="page.html"

<script>alert('attached')</script>
--b1--
"""

CARLA = b"""From: Carla <carla@example.com>
To: support@guichet.example
Subject: Fax still broken
Message-ID: <carla.7@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The fax is still broken this morning.
"""


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def box(db):
    return Mailbox.objects.create(name="Support", address="support@guichet.example")


@pytest.fixture
def triaged(world, box):
    row = receive(HOSTILE, mailbox=box)
    assert row.outcome == Outcome.TRIAGE
    return row


def held(raw: bytes, reason: str = "DMARC failed for example.com: the From header is forged") -> InboundMail:
    """A mail held for an agent, as the receiver stores one."""
    row = InboundMail(
        message_id=f"held.{len(raw)}@x",
        received_at=NOW,
        sender="carla@example.com",
        subject="Fax still broken",
        outcome=Outcome.HELD,
        reason=reason,
    )
    row.raw.save("held.eml", ContentFile(raw), save=False)
    row.save()
    return row


def test_a_triaged_mail_is_read_as_plain_text_with_its_attachments_listed_not_rendered(world, triaged):
    alice = browser(world.agent)
    assert triaged.subject in alice.get("/console/mail/").content.decode()
    page = alice.get(f"/console/mail/{triaged.pk}/").content.decode()
    assert "Hello team" in page and "Unknown sender: in triage" in page
    assert "<script" not in page.split("<main")[1].replace('<script src="/static/', "")
    assert "onerror" not in page and "javascript:" not in page and "<b>team" not in page
    assert "page.html — text/html" in page


def test_a_triaged_mail_becomes_a_ticket_for_the_contact_the_agent_names(world, triaged):
    alice = browser(world.agent)
    answer = alice.post(
        f"/console/mail/{triaged.pk}/ticket",
        {"requester": "carla@example.com", "subject": "Call back", "category": "request", "priority": "high"},
    )
    ticket = Ticket.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/console/tickets/{ticket.reference}/"
    assert (ticket.requester, ticket.channel, ticket.priority, ticket.subject) == (
        world.customer,
        Channel.EMAIL,
        "high",
        "Call back",
    )
    assert "Hello team" in ticket.messages.get().body and ticket.messages.get().attachments.count() <= 1
    triaged.refresh_from_db()
    assert (triaged.outcome, triaged.ticket, triaged.handled_by, triaged.handled_at) == (
        Outcome.OPENED,
        ticket,
        world.agent,
        NOW,
    )
    [event] = events("mail.ticket_opened", actor=world.agent)
    assert (event.door, event.organisation_id, event.changes["ticket"]) == (
        "web",
        world.org.pk,
        ticket.reference,
    )
    assert (
        alice.post(f"/console/mail/{triaged.pk}/drop", {"reason": "again"}).status_code == 400
    )  # dealt with


def test_a_held_mail_from_the_ticket_s_contact_is_added_as_their_reply(world):
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Fax",
        description="x",
    )
    mail = held(CARLA)
    answer = browser(world.agent).post(f"/console/mail/{mail.pk}/reply", {"ticket": ticket.reference})
    assert answer.status_code == 302
    message = ticket.messages.order_by("pk").last()
    assert (message.author, message.kind, message.channel) == (
        world.customer,
        MessageKind.PUBLIC,
        Channel.EMAIL,
    )
    assert "still broken" in message.body
    assert events("mail.appended", door="web", actor=world.agent)


def test_a_held_mail_from_a_stranger_is_added_as_an_internal_note(world, triaged):
    theirs = services.ticket_create(
        actor=world.foreigner,
        door="api",
        organisation=world.other_org,
        requester=world.foreigner,
        subject="Fax",
        description="x",
    )
    browser(world.supervisor).post(f"/console/mail/{triaged.pk}/reply", {"ticket": theirs.reference})
    message = theirs.messages.order_by("pk").last()
    assert (message.author, message.kind) == (world.supervisor, MessageKind.INTERNAL)
    assert message.body.startswith("Mail from stranger@unknown.example:")


def test_a_mail_is_dropped_with_a_reason(world, triaged):
    alice = browser(world.agent)
    refused = alice.post(f"/console/mail/{triaged.pk}/drop", {"reason": "  "})
    assert (
        refused.status_code == 400
        and "Why it is dropped: Say why the mail is dropped." in refused.content.decode()
    )
    assert alice.post(f"/console/mail/{triaged.pk}/drop", {"reason": "Spam"}).status_code == 302
    triaged.refresh_from_db()
    assert (triaged.dropped_reason, triaged.handled_by) == ("Spam", world.agent)
    [event] = events("mail.dropped")
    assert (event.door, event.changes["reason"]) == ("web", "Spam")
    lists = alice.get("/console/mail/").content.decode()
    assert "No mail waiting." in lists and "Dropped by alice: Spam" in lists


def test_bad_input_names_the_field_by_its_label(world, triaged):
    alice = browser(world.agent)
    answer = alice.post(f"/console/mail/{triaged.pk}/ticket", {"requester": "nobody@nowhere.example"})
    assert answer.status_code == 400
    assert (
        "For the contact (e-mail address): No single customer contact has this address."
        in answer.content.decode()
    )
    answer = alice.post(f"/console/mail/{triaged.pk}/reply", {"ticket": "GT-2026-999999"})
    assert "Ticket (its reference): No ticket GT-2026-999999 you can see." in answer.content.decode()
    answer = alice.post(
        f"/console/mail/{triaged.pk}/ticket", {"requester": "carla@example.com", "priority": "now"}
    )
    assert "Priority:" in answer.content.decode()
    assert Ticket.objects.count() == 0 and InboundMail.objects.get().handled_at is None


def test_billing_staff_and_customers_may_not_handle_mail(world, triaged, box):
    letter = receive(b"\x00 not a mail", mailbox=box)
    for who, status in ((world.billing_agent, 403), (world.customer, 403)):
        client = browser(who)
        assert client.get("/console/mail/").status_code == status
        assert client.get(f"/console/mail/{triaged.pk}/").status_code == status
        assert client.post(f"/console/mail/{triaged.pk}/drop", {"reason": "x"}).status_code == status
        assert (
            client.post(f"/console/mail/{triaged.pk}/ticket", {"requester": "carla@example.com"}).status_code
            == status
        )
        assert client.get("/console/dead-letters/").status_code == status
        assert client.post(f"/console/dead-letters/{letter.pk}/replay").status_code == status
    triaged.refresh_from_db()
    assert triaged.handled_at is None and not events("mail.dropped")


def test_a_dead_letter_is_replayed_through_the_replay_path(world, box):
    letter = receive(b"\x00 not a mail", mailbox=box)
    assert isinstance(letter, DeadLetter)
    alice = browser(world.agent)
    assert letter.reason[:40] in alice.get("/console/dead-letters/").content.decode()
    answer = alice.post(f"/console/dead-letters/{letter.pk}/replay", follow=True)
    assert "failed again" in answer.content.decode()
    letter.refresh_from_db()
    assert letter.replayed_at == NOW and letter.replay_result.startswith("failed again")
    [event] = events("mail.dead_letter_replayed", actor=world.agent)
    assert event.door == "web"


def test_the_lists_read_in_a_bounded_number_of_queries(world, box, django_assert_max_num_queries):
    for n in range(8):
        receive(HOSTILE.replace(b"hostile.1", f"hostile.{n + 2}".encode()), mailbox=box)
    for n in range(5):
        receive(f"\x00 broken {n}".encode(), mailbox=box)
    alice = browser(world.agent)
    with django_assert_max_num_queries(10):
        assert alice.get("/console/mail/").content.decode().count("/console/mail/") >= 8
    with django_assert_max_num_queries(10):
        assert alice.get("/console/dead-letters/").content.decode().count("/replay") == 5
