"""A ticket's history in sentences (tickets/history.py): every action the services record, with labels for
its values, in the reader's language; internal events for staff only; never an event's code."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from guichet.audit.services import record
from guichet.tickets import escalation, services
from guichet.tickets.history import ticket_history
from guichet.tickets.models import Category

LU = ZoneInfo("Europe/Luxembourg")
MONDAY = datetime(2026, 11, 30, 9, tzinfo=LU)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(world):
    """Names as the pages show them (display_name)."""
    for user, name in (
        (world.customer, "Carla"),
        (world.colleague, "Colin"),
        (world.agent, "Alice"),
        (world.noc_agent, "Nora"),
        (world.supervisor, "Sue"),
    ):
        user.first_name = name
        user.save()
    return world


def told(ticket, reader, language="en"):
    """The history's sentences, oldest first."""
    with translation.override(language):
        return [line.text for line in ticket_history(ticket, reader, newest_first=False)]


def create(world, **kw):
    fields = {"subject": "Trunk down", "description": "No calls since 9:00"} | kw
    return services.ticket_create(
        actor=world.customer, door="api", organisation=world.org, requester=world.customer, **fields
    )


def change(ticket, actor, **kw):
    return services.ticket_change(actor=actor, door="web", ticket=ticket, expected_version=None, **kw)


def test_a_tickets_life_reads_as_sentences(people, clock):
    w = people
    ticket = create(w, channel="email")
    services.ticket_reply(actor=w.customer, door="email", ticket=ticket, body="Still down")
    services.ticket_reply(actor=w.agent, door="web", ticket=ticket, body="Checking logs", internal=True)
    services.ticket_reply(actor=w.agent, door="web", ticket=ticket, body="On it")
    change(ticket, w.customer, priority="urgent")
    change(ticket, w.supervisor, priority="low")
    change(ticket, w.noc_agent, priority="high")
    change(ticket, w.supervisor, team=w.noc, assignee=w.agent)
    change(ticket, w.noc_agent, assignee=w.noc_agent)
    change(ticket, w.supervisor, assignee=None, team=None)
    change(ticket, w.supervisor, category=Category.INCIDENT)
    change(ticket, w.agent, status="pending_customer")
    services.ticket_reply(actor=w.customer, door="whatsapp", ticket=ticket, body="Any news?")
    services.ticket_start_intervention(actor=w.agent, door="web", ticket=ticket, expected_version=None)
    upload = SimpleUploadedFile("trace.txt", b"SIP/2.0 503", content_type="text/plain")
    services.ticket_attach(actor=w.agent, door="web", ticket=ticket, upload=upload, body="The trace")
    services.ticket_watch(actor=w.agent, door="web", ticket=ticket, user=w.colleague)
    services.ticket_watch(actor=w.colleague, door="web", ticket=ticket, user=w.colleague, watch=False)
    services.ticket_watch(actor=w.customer, door="web", ticket=ticket, user=w.customer)
    services.ticket_watch(actor=w.agent, door="web", ticket=ticket, user=w.customer, watch=False)
    change(ticket, w.agent, status="resolved")
    change(ticket, w.customer, status="open")
    change(ticket, w.customer, status="closed")
    assert told(ticket, w.supervisor) == [
        "Carla opened the ticket by email, priority Medium",
        "Carla replied by email",
        "Alice added an internal note",
        "Alice replied",
        "The status became Open",
        "Carla flagged the ticket urgent",
        "Sue lowered the priority to Low",
        "Nora raised the priority to High",
        "Sue assigned the ticket to Alice",
        "Sue assigned the ticket to the NOC team",
        "Nora took the ticket",
        "Sue unassigned the ticket",
        "Sue took the ticket away from its team",
        "Sue changed the category to Incident",
        "Alice set the status to Waiting for the customer",
        "Carla replied on WhatsApp",
        "The status became Open",
        "Alice started the intervention",
        "Alice replied",
        "Alice attached trace.txt",
        "Alice added Colin to the people following the ticket",
        "Colin stopped following the ticket",
        "Carla started following the ticket",
        "Alice removed Carla from the people following the ticket",
        "Alice resolved the ticket",
        "Carla reopened the ticket",
        "Carla closed the ticket",
    ]
    customer = told(ticket, w.customer)
    assert "Alice added an internal note" not in customer and "Alice replied" in customer
    assert told(ticket, w.customer, "fr")[:7] == [
        "Carla a ouvert le ticket par e-mail, priorité Moyenne",
        "Carla a répondu par e-mail",
        "Alice a répondu",
        "Le statut est passé à « Ouvert »",
        "Carla a signalé le ticket comme urgent",
        "Sue a abaissé la priorité à Basse",
        "Nora a relevé la priorité à Haute",
    ]
    assert "Sue a confié le ticket à l'équipe NOC" in told(ticket, w.supervisor, "fr")


def test_merges_and_quotes_read_as_sentences(people):
    w = people
    keep, dup = create(w), create(w, subject="Trunk down too")
    services.ticket_merge(actor=w.supervisor, door="web", ticket=dup, into=keep)
    assert told(dup, w.customer)[-1] == f"Sue merged this ticket into {keep.reference}"
    assert told(keep, w.customer)[-1] == f"Sue merged {dup.reference} into this ticket"
    assert told(keep, w.customer, "fr")[-1] == f"Sue a fusionné {dup.reference} dans ce ticket"
    work = create(w, subject="Move the rack", category=Category.TECHNICAL_SERVICE)
    quote = services.quote_send(actor=w.agent, door="web", ticket=work, amount=Decimal("1500"))
    services.quote_decide(actor=w.customer, door="web", quote=quote, accept=False)
    again = services.quote_send(actor=w.agent, door="web", ticket=work, amount=Decimal("1200"))
    services.quote_decide(actor=w.customer, door="web", quote=again, accept=True)
    lines = told(work, w.customer)
    assert lines[1:3] == ["Alice sent a quote of 1,500.00 EUR", "Carla refused the quote"]
    assert "Carla accepted the quote" in lines
    assert "Alice a envoyé un devis de 1\xa0500,00 EUR" in told(work, w.customer, "fr")


def test_automatic_events_read_as_sentences_and_internal_ones_are_for_staff(people, clock):
    w = people
    ticket = create(w, category=Category.INCIDENT)  # Office: first answer within 4 business hours
    clock.shift(timedelta(hours=5))
    escalation.breach(MONDAY + timedelta(hours=5))
    # What the priority sweep and the on-call pager record (channels.oncall, escalation.raise_priorities).
    on = {"target": ticket, "organisation_id": ticket.organisation_id}
    record(
        actor=None,
        door="system",
        action="ticket.priority_raised",
        changes={"priority": ["medium", "high"]},
        **on,
    )
    record(actor=None, door="system", action="ticket.emergency_paged", internal=True, **on)
    record(actor=w.noc_agent, door="api", action="ticket.emergency_acknowledged", internal=True, **on)
    record(actor=w.noc_agent, door="api", action="ticket.emergency_false_alarm", internal=True, **on)
    record(actor=w.noc_agent, door="api", action="ticket.something_new", **on)
    record(actor=None, door="system", action="ticket.something_else", **on)
    assert told(ticket, w.supervisor)[1:] == [
        "The first response clock was breached",
        "No first response came in time: the priority went up to High",
        "The engineer on call was paged",
        "Nora acknowledged the page",
        "Nora called the page a false alarm",
        "Nora changed the ticket",  # an action the wording does not know yet: never its code
        "The ticket changed",
    ]
    assert told(ticket, w.customer)[1:] == [
        "No first response came in time: the priority went up to High",
        "Nora changed the ticket",
        "The ticket changed",
    ]
    french = told(ticket, w.supervisor, "fr")
    assert french[1:3] == [
        "Le délai de première réponse a été dépassé",
        "Pas de première réponse à temps : la priorité est passée à Haute",
    ]


def test_the_history_costs_the_same_whatever_its_length(people, django_assert_max_num_queries):
    w = people
    ticket = create(w)
    for n in range(20):
        change(ticket, w.supervisor, assignee=w.agent if n % 2 else w.noc_agent, team=w.support)
        services.ticket_watch(actor=w.agent, door="web", ticket=ticket, user=w.colleague, watch=n % 2 == 0)
    with django_assert_max_num_queries(4):  # events, people by id, people by username, teams
        lines = ticket_history(ticket, w.supervisor)
    assert len(lines) == 1 + 20 * 2 + 20  # a change of assignee and team says two sentences
