"""Inbound mail into tickets through services.receive, with the corpus of real mail files."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail as outbox
from django.core.management import call_command

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
