"""What one inbound message costs: one ticket command, so one message and one audit event, in a bounded
number of queries (issue 14: an inbound mail took several ticket commands, and its Message-ID a second
write)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.audit.models import AuditEvent
from guichet.channels.mail.services import receive
from guichet.channels.models import InboundMail, Mailbox
from guichet.tickets.models import TicketMessage
from tests.channels.mail.test_inbound import raw

LU = ZoneInfo("Europe/Luxembourg")
Outcome = InboundMail.Outcome


@pytest.fixture
def box(world):
    return Mailbox.objects.create(name="Support", address="support@guichet.example")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False):
        yield


def delivered(data, box):
    with CaptureQueriesContext(connection) as queries:
        row = receive(data, mailbox=box)
    return row, len(queries)


def test_a_new_mail_with_two_attachments_is_one_message_and_one_event(world, box):
    row, queries = delivered(raw("with_attachments.eml"), box)
    assert row.outcome == Outcome.OPENED and row.ticket_message.attachments.count() == 2
    assert TicketMessage.objects.filter(ticket=row.ticket).count() == 1
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["ticket.created"]
    assert row.ticket_message.external_id == "att.0014@mail.example.com"
    # 34 before: the Message-ID was a second write, the message read back; +2 since issue 15: the search
    # index's rows written in the same transaction (tickets.search.index)
    assert queries <= 34


def test_a_reply_mail_with_two_attachments_is_one_message_and_one_event(world, box):
    opened = receive(raw("new_plain_carla.eml"), mailbox=box)
    AuditEvent.objects.all().delete()
    reply = raw(
        "with_attachments.eml",
        **{"Subject: Invoice and screenshot attached": "Subject: Re: [GT-2026-000001] SIP trunk down"},
    )
    row, queries = delivered(reply, box)
    assert (row.outcome, row.ticket) == (Outcome.APPENDED, opened.ticket)
    assert row.ticket_message.attachments.count() == 2
    assert TicketMessage.objects.filter(ticket=row.ticket).count() == 2
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["ticket.replied"]
    assert row.ticket_message.external_id == "att.0014@mail.example.com"
    # 23 before: the Message-ID was a second write; +2 since issue 15: the search index's rows
    assert queries <= 24
