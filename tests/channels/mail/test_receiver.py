"""The SMTP/LMTP receiver, for real: aiosmtpd on a free port, mail sent with smtplib."""

import smtplib
from pathlib import Path

import pytest
from django.db import OperationalError

from guichet.channels.mail import receiver
from guichet.channels.models import InboundMail, Mailbox
from guichet.tickets.models import Ticket
from tests.helpers import free_port

CORPUS = Path(__file__).parent / "corpus"
pytestmark = pytest.mark.django_db(transaction=True)  # the receiver's threads have their own connections


@pytest.fixture
def server(world):
    Mailbox.objects.create(name="Support", address="support@guichet.example")
    port = free_port()
    ctl = receiver.controller("127.0.0.1", port)
    ctl.start()
    yield port
    ctl.stop()


def test_a_mail_delivered_by_smtp_becomes_a_ticket(server):
    with smtplib.SMTP("127.0.0.1", server) as smtp:
        refused = smtp.sendmail(
            "carla@example.com", ["support@guichet.example"], (CORPUS / "new_plain_carla.eml").read_bytes()
        )
    assert refused == {}
    row = InboundMail.objects.get()
    assert row.outcome == InboundMail.Outcome.OPENED and row.ticket.subject == "SIP trunk down at Site B"


def test_mail_for_an_address_that_is_not_a_mailbox_is_refused(server):
    with smtplib.SMTP("127.0.0.1", server) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as err:
        smtp.sendmail("carla@example.com", ["nobody@guichet.example"], b"From: carla@example.com\r\n\r\nhi")
    assert err.value.recipients["nobody@guichet.example"][0] == 550


def test_while_the_database_fails_the_sender_is_told_to_retry_and_nothing_is_lost(server, monkeypatch):
    raw = (CORPUS / "with_attachments.eml").read_bytes()

    def down(*args, **kwargs):
        raise OperationalError("database is unavailable")

    monkeypatch.setattr(receiver, "receive", down)
    with smtplib.SMTP("127.0.0.1", server) as smtp, pytest.raises(smtplib.SMTPDataError) as err:
        smtp.sendmail("carla@example.com", ["support@guichet.example"], raw)
    assert err.value.smtp_code == 451
    assert InboundMail.objects.count() == 0
    monkeypatch.undo()
    with smtplib.SMTP("127.0.0.1", server) as smtp:  # the sending server retries later
        smtp.sendmail("carla@example.com", ["support@guichet.example"], raw)
        smtp.sendmail("carla@example.com", ["support@guichet.example"], raw)  # and once too often
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1


def test_lmtp_answers_once_per_recipient(world):
    Mailbox.objects.create(name="Support", address="support@guichet.example")
    Mailbox.objects.create(name="Billing", address="billing@guichet.example")
    port = free_port()
    ctl = receiver.controller("127.0.0.1", port, lmtp=True)
    ctl.start()
    try:
        lmtp = smtplib.LMTP("127.0.0.1", port)
        refused = lmtp.sendmail(
            "colin@example.com",
            ["support@guichet.example", "billing@guichet.example"],
            (CORPUS / "multipart_alternative_colin.eml").read_bytes(),
        )
        lmtp.quit()
    finally:
        ctl.stop()
    assert refused == {}
    assert InboundMail.objects.get().ticket.subject == "Facture erronée F-2026-1187"


def test_a_mail_the_database_refuses_is_accepted_once_as_a_dead_letter(server, monkeypatch):
    from django.db import DataError

    from guichet.channels.mail import services
    from guichet.channels.models import DeadLetter

    def refuse(*args, **kwargs):
        raise DataError("invalid byte sequence for encoding UTF8: 0x00")

    monkeypatch.setattr(services.tickets, "ticket_create", refuse)
    with smtplib.SMTP("127.0.0.1", server) as smtp:  # 250: the sending server does not retry for days
        assert (
            smtp.sendmail(
                "c@example.com", ["support@guichet.example"], (CORPUS / "new_plain_carla.eml").read_bytes()
            )
            == {}
        )
    assert DeadLetter.objects.count() == 1 and InboundMail.objects.count() == 0


@pytest.mark.parametrize(
    "body, expected",
    [((b"x" * 70 + b"\r\n") * 50, b"552"), (b"y" * 20_000 + b"\r\n", b"500")],
    ids=["too-big", "line-too-long"],
)
def test_lmtp_answers_an_early_refusal_once_per_recipient(world, settings, body, expected):
    import socket

    Mailbox.objects.create(name="Support", address="support@guichet.example")
    Mailbox.objects.create(name="Billing", address="billing@guichet.example")
    settings.GUICHET_MAIL_MAX_BYTES = 2000 if expected == b"552" else 10**6
    port = free_port()
    ctl = receiver.controller("127.0.0.1", port, lmtp=True)
    ctl.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            replies = sock.makefile("rb")
            replies.readline()  # greeting
            sock.sendall(b"LHLO client.example\r\n")
            while replies.readline()[3:4] == b"-":
                pass
            for line in (
                b"MAIL FROM:<c@example.com>",
                b"RCPT TO:<support@guichet.example>",
                b"RCPT TO:<billing@guichet.example>",
                b"DATA",
            ):
                sock.sendall(line + b"\r\n")
                assert replies.readline()[:1] in (b"2", b"3")
            sock.sendall(b"Subject: big\r\n\r\n" + body + b".\r\nNOOP\r\n")
            answers = [replies.readline()[:3] for _ in range(3)]
    finally:
        ctl.stop()
    assert answers == [expected, expected, b"250"]  # one per recipient, then the NOOP's
    assert InboundMail.objects.count() == 0
