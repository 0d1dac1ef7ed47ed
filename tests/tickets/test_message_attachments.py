"""Files sent with a message (issue 13): kept on that message, in its transaction, with its one audit event;
a refused file refuses the whole message, naming the field, and writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.audit.models import AuditEvent
from guichet.errors import ValidationError
from guichet.tickets import services
from guichet.tickets.models import Attachment, TicketMessage
from tests.helpers import open_incident

PDF = b"%PDF-1.4\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00"


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_a_reply_keeps_its_files_on_itself_with_one_event(world):
    ticket = open_incident(world)
    message = services.ticket_reply(
        actor=world.customer,
        door="api",
        ticket=ticket,
        body="Logs attached",
        attachments=[upload("a.pdf", PDF)],
    )
    assert list(message.attachments.values_list("filename", flat=True)) == ["a.pdf"]
    [event] = AuditEvent.objects.filter(target_id=ticket.pk, action="ticket.replied")
    assert [a["filename"] for a in event.changes["attachments"]] == ["a.pdf"]
    assert not AuditEvent.objects.filter(action="ticket.attachment_added").exists()


def test_a_refused_file_refuses_the_message_naming_the_field_and_writes_nothing(world):
    ticket = open_incident(world)
    with pytest.raises(ValidationError) as err:
        services.ticket_reply(
            actor=world.customer,
            door="api",
            ticket=ticket,
            body="Logs attached",
            attachments=[upload("a.pdf", PDF), upload("b.pdf", EXE)],
        )
    assert (
        list(err.value.message_dict) == ["attachments"]
        and "b.pdf" in err.value.message_dict["attachments"][0]
    )
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1 and Attachment.objects.count() == 0


def test_a_new_ticket_keeps_its_files_on_its_first_message(world):
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description="See the capture",
        attachments=[upload("capture.pdf", PDF)],
    )
    [message] = ticket.messages.all()
    assert list(message.attachments.values_list("filename", flat=True)) == ["capture.pdf"]
    assert list(AuditEvent.objects.filter(target_id=ticket.pk).values_list("action", flat=True)) == [
        "ticket.created"
    ]
