"""Forged mail through the real receiver (aiosmtpd on a free port, mail sent with smtplib): a From header is
typed by whoever sends. Mail from a staff address must be proven (our receiving server's DKIM/DMARC pass, or a
signed reply address), a DMARC failure is held, a From naming several mailboxes is held — and then no public
reply, no clock met, no mail sent."""

import smtplib
from pathlib import Path

import pytest
from django.core import mail as outbox
from django.core.management import call_command

from guichet.channels.mail import receiver
from guichet.channels.models import InboundMail, Mailbox
from guichet.jobs.mail import reply_address
from guichet.tickets.models import SlaClock, Ticket, TicketMessage
from tests.helpers import free_port

CORPUS = Path(__file__).parent.parent / "channels" / "mail" / "corpus"
OURS = "mx.guichet.example"
pytestmark = pytest.mark.django_db(transaction=True)  # the receiver's threads have their own connections


@pytest.fixture
def server(world, settings):
    settings.GUICHET_MAIL_AUTHSERV_ID = OURS
    Mailbox.objects.create(name="Support", address="support@guichet.example")
    port = free_port()
    ctl = receiver.controller("127.0.0.1", port)
    ctl.start()
    yield port
    ctl.stop()


def send(port, raw: bytes, to="support@guichet.example", sender="alice@example.com"):
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        assert smtp.sendmail(sender, [to], raw) == {}


def carlas_ticket(port) -> Ticket:
    send(port, (CORPUS / "new_plain_carla.eml").read_bytes(), sender="carla@example.com")
    return InboundMail.objects.get().ticket


REFERENCE = "GT-YYYY-NNNNNN"  # stands for Carla's ticket's reference (its year is the year it opens in)


def staff_mail(from_header: str, *extra: str, message_id: str = "forged.1@evil.example") -> bytes:
    headers = [*extra, f"From: {from_header}", "To: support@guichet.example"]
    headers += [f"Subject: Re: [{REFERENCE}] SIP trunk down at Site B", f"Message-ID: <{message_id}>"]
    return ("\r\n".join(headers) + "\r\n\r\nFixed on our side, closing.\r\n").encode()


def sent_subjects() -> list[str]:
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    return [m.subject for m in outbox.outbox]


FORGERIES = {
    "plain From of a staff address": staff_mail("Alice <alice@example.com>"),
    "Authentication-Results not from our server": staff_mail(
        "Alice <alice@example.com>",
        "Authentication-Results: mx.evil.example; dkim=pass header.d=example.com; "
        "dmarc=pass header.from=example.com",
    ),
    "our authserv-id below another server's header": staff_mail(
        "Alice <alice@example.com>",
        "Authentication-Results: mx.evil.example; spf=pass smtp.mailfrom=evil.example",
        f"Authentication-Results: {OURS}; dmarc=pass header.from=example.com",
    ),
    "a DKIM pass forged below our server's header, with our id": staff_mail(
        "Alice <alice@example.com>",
        f"Authentication-Results: {OURS}; dkim=none; dmarc=none header.from=example.com",
        f"Authentication-Results: {OURS}; dkim=pass header.d=example.com",
    ),
    "several From mailboxes": staff_mail("Alice <alice@example.com>, Carla <carla@example.com>"),
    "a signed reply address of someone else": None,  # built in the test: it needs the ticket's id
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_staff_mail_is_held_with_no_reply_no_clock_and_no_mail(world, server, case):
    ticket = carlas_ticket(server)
    raw, to = FORGERIES[case], "support@guichet.example"
    if raw is None:  # the reply address mailed to Nora, used with Alice's From
        raw = staff_mail("Alice <alice@example.com>")
        to = reply_address(to, user_pk=world.noc_agent.pk, ticket_pk=ticket.pk)
    send(server, raw.replace(REFERENCE.encode(), ticket.reference.encode()), to=to)
    row = InboundMail.objects.get(message_id="forged.1@evil.example")
    ticket.refresh_from_db()
    assert row.outcome == InboundMail.Outcome.HELD and row.ticket_message is None
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1
    assert ticket.first_response_at is None
    assert not SlaClock.objects.get(ticket=ticket, clock="first_response").stopped
    assert sent_subjects() == [
        f"[{ticket.reference}] SIP trunk down at Site B"
    ]  # Carla's acknowledgement only


def test_a_customer_mail_failing_dmarc_is_held_not_filed(world, server):
    raw = (CORPUS / "new_plain_carla.eml").read_bytes()
    raw = f"Authentication-Results: {OURS}; dmarc=fail (p=reject) header.from=example.com\r\n".encode() + raw
    send(server, raw, sender="carla@example.com")
    row = InboundMail.objects.get()
    assert (row.outcome, row.ticket) == (InboundMail.Outcome.HELD, None) and "DMARC" in row.reason
    assert Ticket.objects.count() == 0 and sent_subjects() == []


def test_a_customer_mail_with_several_from_mailboxes_is_held(world, server):
    raw = (CORPUS / "new_plain_carla.eml").read_bytes()
    raw = raw.replace(
        b"From: Carla Costa <carla@example.com>", b"From: carla@example.com <colin@example.com>"
    )
    send(server, raw, sender="carla@example.com")
    row = InboundMail.objects.get()
    assert (row.outcome, row.ticket) == (InboundMail.Outcome.HELD, None)
    assert Ticket.objects.count() == 0 and sent_subjects() == []


def test_staff_mail_proven_by_our_servers_dmarc_pass_becomes_the_reply(world, server):
    ticket = carlas_ticket(server)
    raw = staff_mail(
        "Alice <alice@example.com>",
        f"Authentication-Results: {OURS}; dmarc=pass (p=reject) header.from=example.com",
    )
    send(server, raw.replace(REFERENCE.encode(), ticket.reference.encode()))
    row = InboundMail.objects.get(message_id="forged.1@evil.example")
    ticket.refresh_from_db()
    assert row.outcome == InboundMail.Outcome.APPENDED and ticket.first_response_at is not None
    assert f"Re: [{ticket.reference}] SIP trunk down at Site B" in sent_subjects()


def test_staff_mail_to_its_signed_reply_address_becomes_the_reply(world, server):
    ticket = carlas_ticket(server)
    to = reply_address("support@guichet.example", user_pk=world.agent.pk, ticket_pk=ticket.pk)
    send(server, staff_mail("Alice <alice@example.com>"), to=to)
    row = InboundMail.objects.get(message_id="forged.1@evil.example")
    assert (row.outcome, row.ticket_message.author) == (InboundMail.Outcome.APPENDED, world.agent)


def test_staff_notifications_answer_to_that_persons_signed_reply_address(world, settings):
    from django.utils import timezone

    from guichet.jobs.mail import reply_address_owner
    from guichet.tickets.notifications import notify, send_notification
    from tests.helpers import open_incident

    ticket = open_incident(world)
    [row] = notify(
        recipients=[world.noc_agent],
        ticket=ticket,
        kind="sla_warning",
        clock="resolution",
        message="75 %",
        at=timezone.now(),
    )
    outbox.outbox.clear()
    send_notification.call(row.pk)
    [sent] = outbox.outbox
    [reply_to] = sent.reply_to
    assert reply_to.startswith("support+") and reply_address_owner(reply_to) == (
        world.noc_agent.pk,
        ticket.pk,
    )
    assert sent.extra_headers["X-Loop"] == "support@guichet.localhost"


def test_a_reply_address_with_a_changed_signature_or_owner_is_no_proof(world):
    from guichet.jobs.mail import reply_address, reply_address_owner

    genuine = reply_address("support@guichet.example", user_pk=7, ticket_pk=9)
    assert reply_address_owner(genuine) == (7, 9)
    mac = genuine.split("k", 1)[1].split("@")[0]
    forged = [
        genuine.replace("+r7t9", "+r8t9"),
        genuine.replace("+r7t9", "+r7t10"),
        genuine.replace(mac, ("0" if mac[0] != "0" else "1") + mac[1:]),
        "support+r7t9@guichet.example",
    ]
    assert [reply_address_owner(a) for a in forged] == [None, None, None, None]
