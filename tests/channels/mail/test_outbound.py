"""Mail to customers, through a real SMTP server (aiosmtpd) and the worker, threaded back into tickets."""

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command

from guichet.channels.mail.services import receive
from guichet.channels.models import InboundMail, Mailbox, MailThread
from guichet.tickets import services as tickets
from guichet.tickets.models import Status
from tests.helpers import free_port

CORPUS = Path(__file__).parent / "corpus"
LU = ZoneInfo("Europe/Luxembourg")
pytestmark = pytest.mark.django_db(transaction=True)  # the worker and the SMTP server run for real


class Sink:
    """An SMTP server's mailbox: every message it accepted, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 OK"


@pytest.fixture
def smtp(settings):
    sink, port = Sink(), free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.GUICHET_MAIL_DOMAIN = "guichet.example"
    server = Controller(sink, hostname="127.0.0.1", port=port)
    server.start()
    yield sink
    server.stop()


@pytest.fixture
def box(world):
    return Mailbox.objects.create(name="Support", address="support@guichet.example")


def work():
    call_command("worker", batch=True, no_scheduler=True, interval=0)


@time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False)
def test_the_customer_hears_in_its_language_and_its_reply_comes_back(world, box, smtp):
    world.customer.language, world.customer.time_zone = "fr", "Europe/Luxembourg"
    world.customer.save()
    row = receive((CORPUS / "new_plain_carla.eml").read_bytes(), mailbox=box)
    work()
    [received] = smtp.messages
    assert received["To"] == "carla@example.com" and received["From"] == "support@guichet.example"
    assert received["Subject"] == "[GT-2026-000001] SIP trunk down at Site B"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["In-Reply-To"] == f"<{row.message_id}>"  # threads under the customer's own mail
    body = received.get_content()
    assert "Nous avons bien reçu" in body, body
    assert "- première réponse avant le 2026-11-30 14:00 CET" in body, body  # office plan: 4 h

    tickets.ticket_reply(actor=world.agent, door="api", ticket=row.ticket, body="Nous redémarrons le trunk.")
    work()
    reply = smtp.messages[1]
    assert reply["Subject"] == "Re: [GT-2026-000001] SIP trunk down at Site B"
    assert "Nous redémarrons le trunk." in reply.get_content() and reply["Auto-Submitted"] is None

    # Carla answers from her mail client: no reference in the subject, only the threading header.
    answer = (
        b"From: Carla Costa <carla@example.com>\r\nTo: support@guichet.example\r\n"
        b"Subject: Re: trunk\r\nMessage-ID: <answer.1@mail.example.com>\r\n"
        b"In-Reply-To: " + reply["Message-ID"].encode() + b"\r\n\r\nMerci, cela fonctionne.\r\n"
    )
    back = receive(answer, mailbox=box)
    assert (back.outcome, back.ticket) == (InboundMail.Outcome.APPENDED, row.ticket)


@time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False)
def test_resolution_is_announced_and_a_second_run_sends_nothing(world, box, smtp):
    row = receive((CORPUS / "new_plain_carla.eml").read_bytes(), mailbox=box)
    tickets.ticket_change(
        actor=world.agent, door="api", ticket=row.ticket, expected_version=None, status=Status.RESOLVED
    )
    work()
    assert [m["Subject"] for m in smtp.messages] == [
        "[GT-2026-000001] SIP trunk down at Site B",
        "[GT-2026-000001] resolved: SIP trunk down at Site B",
    ]
    from guichet.channels.mail.outbound import send_ticket_mail

    assert send_ticket_mail.call(row.ticket.pk, "resolved") == 0  # already sent: nothing twice
    assert len(smtp.messages) == 2


def test_imported_history_mails_no_one(world, box, smtp):
    tickets.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="Old ticket",
        description="From the previous helpdesk",
        opened_at=datetime(2026, 1, 5, 9, tzinfo=LU),
    )
    work()
    assert smtp.messages == []


def test_an_smtp_failure_is_retried_later_and_nothing_is_lost(world, box, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there yet
    start = datetime(2026, 11, 30, 10, tzinfo=LU)
    with time_machine.travel(start, tick=False):
        receive((CORPUS / "new_plain_carla.eml").read_bytes(), mailbox=box)
        work()
        assert not MailThread.objects.filter(outbound=True).exists()
    sink = Sink()
    server = Controller(sink, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    server.start()
    try:
        with time_machine.travel(start + timedelta(minutes=2), tick=False):
            work()
    finally:
        server.stop()
    assert [m["Subject"] for m in sink.messages] == ["[GT-2026-000001] SIP trunk down at Site B"]


def test_a_ticket_waiting_for_its_customer_is_reminded_once_per_silence(world, box, smtp):
    from guichet.channels.mail.outbound import remind_waiting

    start = datetime(2026, 11, 30, 10, tzinfo=LU)
    with time_machine.travel(start, tick=False):
        row = receive((CORPUS / "new_plain_carla.eml").read_bytes(), mailbox=box)
        tickets.ticket_reply(actor=world.agent, door="api", ticket=row.ticket, body="Which site exactly?")
        tickets.ticket_change(
            actor=world.agent,
            door="api",
            ticket=row.ticket,
            expected_version=None,
            status=Status.PENDING_CUSTOMER,
        )
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert remind_waiting() == 0  # not yet three days
    with time_machine.travel(start + timedelta(days=3, minutes=1), tick=False):
        assert remind_waiting() == 1
        assert remind_waiting() == 0  # once
        work()
    reminder = smtp.messages[-1]
    assert reminder["Subject"] == "[GT-2026-000001] waiting for your answer: SIP trunk down at Site B"
    assert "Which site exactly?" in reminder.get_content() and reminder["Auto-Submitted"] == "auto-generated"
    with time_machine.travel(start + timedelta(days=10), tick=False):
        assert remind_waiting() == 0  # the same silence: no second reminder
