"""Inbound mail into tickets through services.receive, with the corpus of real mail files."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail as outbox
from django.core.management import call_command
from django.utils import translation

from guichet.channels.mail.services import receive, replay
from guichet.channels.models import DeadLetter, InboundMail, Mailbox, MailThread
from guichet.tickets import services as tickets
from guichet.tickets.models import Status, Ticket, TicketMessage

CORPUS = Path(__file__).parent / "corpus"
LU = ZoneInfo("Europe/Luxembourg")
Outcome = InboundMail.Outcome

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False):
        yield


@pytest.fixture
def box(world):
    return Mailbox.objects.create(name="Support", address="support@guichet.example")


def raw(name, **replace):
    data = (CORPUS / name).read_bytes()
    for old, new in replace.items():
        data = data.replace(old.encode(), new.encode())
    return data


def deliver(box, name, **replace):
    return receive(raw(name, **replace), mailbox=box)


def first_ticket(world, box):
    """GT-2026-000001, opened by Carla's mail; Guichet's acknowledgement (n1) threads replies to it."""
    row = deliver(box, "new_plain_carla.eml")
    assert (row.outcome, row.ticket.reference) == (Outcome.OPENED, "GT-2026-000001")
    MailThread.objects.create(
        message_id="ticket-GT-2026-000001.n1@guichet.example", ticket=row.ticket, outbound=True
    )
    return row.ticket


def test_a_contacts_mail_opens_a_ticket_on_the_email_channel(world, box):
    row = deliver(box, "new_plain_carla.eml")
    t = row.ticket
    assert (row.outcome, t.organisation, t.requester, t.channel) == (
        Outcome.OPENED,
        world.org,
        world.customer,
        "email",
    )
    assert t.subject == "SIP trunk down at Site B" and t.clocks.count() == 3
    first = t.messages.get()
    assert "tombé" in first.body and first.external_id == row.message_id and row.ticket_message == first
    assert row.raw.read() == raw("new_plain_carla.eml")  # the full original, as delivered


@pytest.mark.parametrize("name", ["reply_in_reply_to.eml", "reply_subject_only.eml"])
def test_a_reply_joins_its_ticket_and_never_opens_another(world, box, name):
    ticket = first_ticket(world, box)
    row = deliver(box, name)
    assert (row.outcome, row.ticket) == (Outcome.APPENDED, ticket)
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2
    assert row.ticket_message.body.startswith(("It is down again", "Toujours en panne"))


def test_a_reply_to_a_reply_is_threaded_by_its_own_message_id(world, box):
    ticket = first_ticket(world, box)
    deliver(box, "reply_in_reply_to.eml")
    # Carla answers her own reply, without any reference in the subject: only the Message-ID threads it.
    again = raw(
        "reply_in_reply_to.eml",
        **{
            "reply.0006@": "reply.0099@",
            "[GT-2026-000001] ": "",
            "<ticket-GT-2026-000001.n1@guichet.example>": "<reply.0006@mail.example.com>",
        },
    )
    row = receive(again, mailbox=box)
    assert (row.outcome, row.ticket) == (Outcome.APPENDED, ticket)


def test_a_stranger_quoting_a_reference_is_held_not_added(world, box):
    ticket = first_ticket(world, box)
    row = deliver(box, "stranger_quotes_reference.eml")
    assert (row.outcome, row.ticket) == (Outcome.HELD, ticket)
    assert ticket.messages.count() == 1


def test_a_contact_of_another_organisation_quoting_a_reference_is_held(world, box):
    ticket = first_ticket(world, box)
    row = deliver(box, "reply_subject_only.eml", **{"carla@example.com": "fred@example.com"})
    assert row.outcome == Outcome.HELD and ticket.messages.count() == 1


def test_unknown_senders_go_to_triage(world, box):
    row = deliver(box, "unknown_sender_new.eml")
    assert (row.outcome, row.ticket) == (Outcome.TRIAGE, None)


@pytest.mark.django_db(transaction=True)
def test_unknown_senders_may_be_refused_with_a_polite_reply_instead(world, box):
    box.unknown_senders = Mailbox.UnknownSenders.REFUSE
    box.save()
    assert deliver(box, "unknown_sender_new.eml").outcome == Outcome.REFUSED
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    [sent] = outbox.outbox
    assert sent.to == ["stranger@unknown.example"] and sent.extra_headers["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize(
    "name", ["auto_reply_auto_submitted.eml", "auto_reply_precedence.eml", "bounce_dsn.eml"]
)
@pytest.mark.django_db(transaction=True)
def test_automatic_mail_never_opens_a_ticket_and_is_never_answered(world, box, name):
    first_ticket(world, box)
    box.unknown_senders = Mailbox.UnknownSenders.REFUSE
    box.save()
    row = deliver(box, name)
    assert row.outcome == Outcome.AUTOMATIC and row.ticket is None
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    # Only the acknowledgement of the ticket Carla opened first: nothing answers the automatic mail.
    assert [m.subject for m in outbox.outbox] == ["[GT-2026-000001] SIP trunk down at Site B"]


def test_the_same_mail_delivered_twice_is_stored_once(world, box):
    a = deliver(box, "duplicate_a.eml")
    b = deliver(box, "duplicate_b.eml")
    assert a.pk == b.pk and InboundMail.objects.count() == 1 and Ticket.objects.count() == 1


def test_a_mail_without_message_id_delivered_twice_is_stored_once(world, box):
    assert deliver(box, "no_message_id.eml").pk == deliver(box, "no_message_id.eml").pk
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("name", ["garbage.eml", "missing_from.eml"])
def test_what_cannot_be_read_is_kept_as_a_dead_letter(world, box, name):
    letter = deliver(box, name)
    assert isinstance(letter, DeadLetter) and "no sender" in letter.reason
    assert letter.raw.read() == raw(name)
    assert InboundMail.objects.count() == 0


def test_a_dead_letter_can_be_replayed_once_the_cause_is_gone(world, box, monkeypatch):
    # The services refuse the mail (here: the organisation has no plan yet), it is kept...
    from guichet.plans.models import OrganisationPlan

    OrganisationPlan.objects.filter(organisation=world.org).delete()
    letter = deliver(box, "new_plain_carla.eml")
    assert isinstance(letter, DeadLetter) and "no SLA plan" in letter.reason
    # ... and once the plan is set, replayed into a ticket.
    world.use_plan("office")
    with translation.override("fr"):  # an agent who reads French: the stored result stays English
        row = replay(letter)
    letter.refresh_from_db()
    assert row.outcome == Outcome.OPENED and letter.replay_result == "filed: Opened a ticket (GT-2026-000001)"


def test_attachments_arrive_with_the_ticket(world, box):
    t = deliver(box, "with_attachments.eml").ticket
    assert sorted(t.attachments.values_list("filename", "content_type")) == [
        ("invoice.pdf", "application/pdf"),
        ("screen.png", "image/png"),
    ]


def test_a_reply_to_a_closed_ticket_opens_a_new_one_that_points_to_it(world, box):
    ticket = first_ticket(world, box)
    tickets.ticket_change(
        actor=world.supervisor, door="api", ticket=ticket, expected_version=None, status=Status.CLOSED
    )
    row = deliver(box, "reply_in_reply_to.eml")
    assert row.outcome == Outcome.OPENED and row.ticket != ticket
    assert "Follows GT-2026-000001" in row.ticket_message.body


def test_a_reply_to_a_merged_ticket_lands_in_the_survivor(world, box):
    ticket = first_ticket(world, box)
    survivor = deliver(box, "new_html_only_carla.eml").ticket
    tickets.ticket_merge(actor=world.supervisor, door="api", ticket=ticket, into=survivor)
    assert deliver(box, "reply_in_reply_to.eml").ticket == survivor


def test_a_flooding_sender_is_held_after_the_hourly_limit(world, box):
    box.new_tickets_per_hour = 2
    box.save()
    outcomes = [deliver(box, "new_plain_carla.eml", **{"a1b2c": f"flood{i}"}).outcome for i in range(3)]
    assert outcomes == [Outcome.OPENED, Outcome.OPENED, Outcome.HELD]


def test_forged_control_headers_are_ignored(world, box):
    row = deliver(box, "control_headers.eml")
    assert row.outcome == Outcome.OPENED and row.ticket.reference == "GT-2026-000001"


def test_a_hostile_display_name_does_not_change_the_sender(world, box):
    row = deliver(box, "header_injection_name.eml")
    assert row.ticket.requester == world.customer and "\n" not in row.ticket.subject


def test_mail_from_a_plan_without_support_by_mail_is_held_with_the_reason(world, box):
    plan = world.org.plan_assignment.plan
    plan.channels = ["phone"]
    plan.save()
    row = deliver(box, "new_plain_carla.eml")
    assert row.outcome == Outcome.HELD and row.ticket is None
    assert row.reason == "The Office plan does not include support by Email: use Portal, the API, Phone."


# Issue 13: nothing loops, nothing is lost, nothing misleads.


def with_headers(name, *headers, **replace):
    return "".join(f"{h}\r\n" for h in headers).encode() + raw(name, **replace)


@pytest.mark.parametrize(
    "headers, replace",
    [
        (["X-Loop: support@guichet.example"], {}),
        ([], {"20261201091200.a1b2c3@mail.example.com": "ticket-GT-2026-000001.reply7.u3@guichet.localhost"}),
        ([], {"Carla Costa <carla@example.com>": "Support <support@guichet.example>"}),
        ([], {"Carla Costa <carla@example.com>": "<Support+r1t1kabc@Guichet.Example>"}),
    ],
    ids=["x-loop", "our-message-id", "our-address", "our-address-with-a-tag"],
)
@pytest.mark.django_db(transaction=True)
def test_our_own_mail_coming_back_never_opens_joins_or_answers(world, box, headers, replace):
    box.unknown_senders = Mailbox.UnknownSenders.REFUSE
    box.save()
    row = receive(with_headers("new_plain_carla.eml", *headers, **replace), mailbox=box)
    assert (row.outcome, row.ticket) == (Outcome.AUTOMATIC, None) and row.reason.startswith("mail loop")
    assert Ticket.objects.count() == 0
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert outbox.outbox == []


def test_a_loop_quoting_a_ticket_is_not_added_to_it(world, box):
    ticket = first_ticket(world, box)
    row = receive(with_headers("reply_in_reply_to.eml", "X-Loop: support@guichet.example"), mailbox=box)
    assert row.outcome == Outcome.AUTOMATIC and ticket.messages.count() == 1


def test_the_mail_we_send_names_us_in_x_loop(world, box):
    from guichet.channels.mail.outbound import build

    ticket = first_ticket(world, box)
    sent = build(ticket, "received", world.customer, None, "ticket-x.received.u1@guichet.localhost")
    assert sent.extra_headers["X-Loop"] == "support@guichet.example"


def test_x_auto_response_suppress_alone_does_not_make_a_persons_mail_automatic(world, box):
    row = receive(with_headers("new_plain_carla.eml", "X-Auto-Response-Suppress: All"), mailbox=box)
    assert row.outcome == Outcome.OPENED


def events_of(ticket):
    from guichet.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(target_id=ticket.pk).values_list("action", flat=True))


def test_the_attachments_of_a_new_mail_land_on_its_one_message_with_one_event(world, box):
    row = deliver(box, "with_attachments.eml")
    t = row.ticket
    assert t.messages.count() == 1
    assert sorted(row.ticket_message.attachments.values_list("filename", flat=True)) == [
        "invoice.pdf",
        "screen.png",
    ]
    assert events_of(t) == ["ticket.created"]


def test_the_attachments_of_a_reply_land_on_the_reply_with_one_event(world, box):
    ticket = first_ticket(world, box)
    reply = raw(
        "with_attachments.eml",
        **{"Subject: Invoice and screenshot attached": "Subject: Re: [GT-2026-000001] SIP trunk down"},
    )
    row = receive(reply, mailbox=box)
    assert (row.outcome, row.ticket) == (Outcome.APPENDED, ticket)
    assert ticket.messages.count() == 2 and row.ticket_message.attachments.count() == 2
    assert events_of(ticket) == ["ticket.created", "ticket.replied"]


def test_a_refused_attachment_is_named_in_the_message_itself(world, box):
    data = raw("with_attachments.eml", **{'filename="screen.png"': 'filename="run\u202egnp.exe"'})
    data = data.replace(b"iVBORw0KGgo", b"TVqQAAMAAAA")  # a Windows program, not a PNG
    row = receive(data, mailbox=box)
    t = row.ticket
    assert t.messages.count() == 1 and row.ticket_message.attachments.count() == 1
    assert "[Attachment rungnp.exe not kept:" in row.ticket_message.body
    assert "\u202e" not in row.ticket_message.body


def test_nul_bytes_and_control_characters_are_stored_cleaned_with_the_original_kept(world, box):
    data = raw(
        "new_plain_carla.eml",
        **{"Subject: SIP trunk": "Subject: SIP\x00 trunk", "Bonjour,": "Bon\x00jour\x07,"},
    )
    row = receive(data, mailbox=box)
    assert row.outcome == Outcome.OPENED
    assert row.ticket.subject == "SIP trunk down at Site B"
    assert row.ticket_message.body.startswith("Bonjour,")
    assert row.raw.read() == data


def test_a_mail_the_database_refuses_becomes_a_dead_letter_not_an_endless_retry(world, box, monkeypatch):
    from django.db import DataError

    from guichet.channels.mail import services

    def refuse(*args, **kwargs):
        raise DataError("invalid byte sequence for encoding UTF8: 0x00")

    monkeypatch.setattr(services.tickets, "ticket_create", refuse)
    letter = deliver(box, "new_plain_carla.eml")
    assert isinstance(letter, DeadLetter) and "DataError" in letter.reason
    assert letter.raw.read() == raw("new_plain_carla.eml") and InboundMail.objects.count() == 0


def test_a_database_outage_still_asks_for_a_retry(world, box, monkeypatch):
    from django.db import OperationalError

    from guichet.channels.mail import services

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services.tickets, "ticket_create", down)
    with pytest.raises(OperationalError):
        deliver(box, "new_plain_carla.eml")
    assert DeadLetter.objects.count() == 0


def test_a_forwarded_message_is_kept_as_an_eml_attachment(world, box):
    forwarded = (
        "From: Carla Costa <carla@example.com>\r\nTo: support@guichet.example\r\n"
        "Subject: Fwd: alarm\r\nMessage-ID: <fwd.1@mail.example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n'
        "See the alarm below.\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: noc@vendor.example\r\nSubject: Alarme r\xe9seau\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nLien coup\xe9 \xe0 9h.\r\n--b1--\r\n"
    ).encode("latin-1")
    row = receive(forwarded, mailbox=box)
    [kept] = row.ticket_message.attachments.all()
    assert kept.filename.endswith(".eml") and kept.filename.startswith("Alarme")
    assert b"From: noc@vendor.example" in kept.file.read()
    assert row.ticket_message.body == "See the alarm below."


def test_a_damaged_attachment_is_kept_and_marked_as_damaged(world, box):
    data = raw("with_attachments.eml", **{"AAAAAElFTkSuQmCC": "AAAAAElFTkSu="})
    row = receive(data, mailbox=box)
    assert row.ticket_message.attachments.count() == 2
    assert "[Damaged in transit, kept as received: screen.png (damaged base64" in row.ticket_message.body


def test_a_message_id_longer_than_the_columns_is_stored_and_threaded_by_its_hash(world, box):
    long_id = "x" * 1500 + "@mail.example.com"
    row = deliver(box, "new_plain_carla.eml", **{"20261201091200.a1b2c3@mail.example.com": long_id})
    assert row.outcome == Outcome.OPENED and row.message_id.startswith("sha256:")
    reply = receive(
        raw(
            "reply_in_reply_to.eml",
            **{"[GT-2026-000001] ": "", "ticket-GT-2026-000001.n1@guichet.example": long_id},
        ),
        mailbox=box,
    )
    assert (reply.outcome, reply.ticket) == (Outcome.APPENDED, row.ticket)
