"""A resolved ticket in the extranet (issue 16 §2): the customer confirms it is solved (the ticket closes) or
says it is not, with a reason that becomes their message and reopens the ticket, its clocks counting again."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet.audit.models import AuditEvent
from guichet.errors import PermissionDenied, ValidationError
from guichet.tickets import services
from guichet.tickets.models import Status, Ticket
from tests.helpers import open_incident, signed_in

LU = ZoneInfo("Europe/Luxembourg")
SOLVED, NOT_SOLVED = "Yes, it is solved", "No, it is not solved"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False) as traveller:
        yield traveller


def resolve(world, ticket) -> Ticket:
    return services.ticket_change(
        actor=world.agent, door="api", ticket=ticket, expected_version=None, status=Status.RESOLVED
    )


@pytest.fixture
def resolved(world, frozen):
    """Carla's incident, opened Monday 10:00 and resolved by Alice at 12:00; it is now 14:00."""
    ticket = open_incident(world)
    frozen.move_to(datetime(2026, 11, 30, 12, tzinfo=LU))
    resolve(world, ticket)
    frozen.move_to(datetime(2026, 11, 30, 14, tzinfo=LU))
    return Ticket.objects.get(pk=ticket.pk)


def events_of(user, ticket) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_id=ticket.pk, action__startswith="ticket.", actor=user))


def page(ticket) -> str:
    return f"/extranet/tickets/{ticket.reference}/"


def test_the_answers_appear_only_on_a_resolved_ticket(world):
    ticket = open_incident(world)
    carla = signed_in(world.customer)
    text = carla.get(page(ticket)).text
    assert SOLVED not in text and NOT_SOLVED not in text and 'name="reason"' not in text
    resolve(world, ticket)
    text = carla.get(page(ticket)).text
    assert SOLVED in text and NOT_SOLVED in text and '<label for="id_reason">Reason</label>' in text


def test_yes_closes_the_ticket_with_one_event(world, resolved):
    carla = signed_in(world.customer)
    answer = carla.post(page(resolved) + "solved", follow=True)
    assert answer.status_code == 200 and f"Thank you: {resolved.reference} is closed." in answer.text
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED and resolved.closed_at is not None
    opened, closed = events_of(world.customer, resolved)
    assert opened.action == "ticket.created" and closed.action == "ticket.changed"
    assert closed.changes["status"] == ["resolved", "closed"]
    assert SOLVED not in answer.text  # nothing left to answer


def test_no_reopens_with_the_reason_as_the_customer_s_message_and_the_clock_counts_again(world, resolved):
    before = resolved.clocks.get(clock="resolution")
    assert (before.state, before.stopped, before.used_seconds) == ("met", True, 2 * 3600)
    carla = signed_in(world.customer)
    answer = carla.post(
        page(resolved) + "not-solved", {"reason": "Calls still drop after a minute"}, follow=True
    )
    assert f"{resolved.reference} is open again" in answer.text
    resolved.refresh_from_db()
    assert resolved.status == Status.OPEN and resolved.resolved_at is None
    last = resolved.messages.order_by("pk").last()
    assert (last.body, last.author, last.kind) == (
        "Calls still drop after a minute",
        world.customer,
        "public",
    )
    clock = resolved.clocks.get(clock="resolution")
    # Counting again from 14:00 with the 2 hours it had used: due 2 business hours later than before, the 2
    # hours it stood resolved (Monday 12:00 to 14:00).
    assert (clock.state, clock.stopped, clock.used_seconds) == ("running", False, 2 * 3600)
    assert (before.due_at, clock.due_at) == (
        datetime(2026, 12, 1, 10, tzinfo=LU),
        datetime(2026, 12, 1, 12, tzinfo=LU),
    )
    assert [e.action for e in events_of(world.customer, resolved)] == ["ticket.created", "ticket.replied"]


def test_an_empty_reason_is_refused_naming_the_field(world, resolved):
    carla = signed_in(world.customer)
    answer = carla.post(page(resolved) + "not-solved", {"reason": "  "}, follow=True)
    assert "Reason: say what is still wrong." in answer.text
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED and resolved.messages.count() == 1


def test_a_stale_page_is_told_the_ticket_is_no_longer_resolved(world, resolved):
    carla = signed_in(world.customer)
    carla.post(page(resolved) + "solved")
    answer = carla.post(page(resolved) + "not-solved", {"reason": "Still down"}, follow=True)
    assert answer.status_code == 200
    assert (
        f"{resolved.reference} is no longer resolved (its status: Closed): nothing was changed."
        in answer.text
    )
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED and resolved.messages.count() == 1


def test_another_organisation_s_contact_gets_404(world, resolved):
    fred = signed_in(world.foreigner)
    assert fred.post(page(resolved) + "solved").status_code == 404
    assert fred.post(page(resolved) + "not-solved", {"reason": "Mine now"}).status_code == 404
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED and resolved.messages.count() == 1


def test_staff_are_turned_away_at_the_extranet_s_door(world, resolved):
    alice = Client()
    alice.force_login(world.agent)
    assert alice.post(page(resolved) + "solved").status_code == 403


def test_the_service_takes_answers_from_the_ticket_s_organisation_s_contacts_only(world, resolved):
    for outsider in (world.agent, world.foreigner):
        with pytest.raises(PermissionDenied):
            services.ticket_confirm_resolution(actor=outsider, door="api", ticket=resolved, solved=True)
    with pytest.raises(ValidationError) as err:
        services.ticket_confirm_resolution(actor=world.customer, door="api", ticket=resolved, solved=False)
    assert list(err.value.message_dict) == ["reason"]
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_a_contact_who_reads_french_gets_the_answers_and_the_refusal_in_french(world, resolved):
    world.customer.language = "fr"
    world.customer.save()
    carla = signed_in(world.customer)
    text = carla.get(page(resolved)).text
    assert "Oui, c'est résolu" in text and "Non, ce n'est pas résolu" in text
    answer = carla.post(page(resolved) + "not-solved", {"reason": ""}, follow=True)
    assert "Motif : dites ce qui ne va toujours pas." in answer.text
