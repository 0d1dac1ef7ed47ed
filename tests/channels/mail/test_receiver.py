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
