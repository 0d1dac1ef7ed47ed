"""No door dates an SLA event in the past but an import (an admin, or a token with the import permission):
a call logged "at 9:00" for a ticket opened at 10:00 would be a first response before the ticket, and a
breached clock would turn met."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from guichet.channels.models import PhoneCall
from guichet.tickets import services
from guichet.tickets.models import Ticket

LU = ZoneInfo("Europe/Luxembourg")
OPENED = datetime(2026, 11, 30, 10, tzinfo=LU)  # a Monday in support hours


@pytest.fixture
def late_ticket(world):
    """Carla's urgent ticket, opened at 10:00 and still unanswered at 18:00: its first response is late."""
    contact = world.customer.contact
    contact.phone = "+352 621 123 456"
    contact.save()
    with time_machine.travel(OPENED, tick=False):
        return services.ticket_create(
            actor=world.customer,
            door="api",
            organisation=world.org,
            requester=world.customer,
            subject="Everything down",
            description="No calls",
            priority="urgent",
        )


def _call(ref, started_at):
    return {
        "number": "+352 621 123 456",
        "duration_seconds": 120,
        "summary": "Called back",
        "ticket": ref,
        "started_at": started_at.isoformat(),
    }


def test_an_agent_cannot_log_a_call_in_the_past(world, as_user, late_ticket):
    with time_machine.travel(OPENED + timedelta(hours=8), tick=False):
        refused = as_user(world.agent).post(
            "/calls", _call(late_ticket.reference, OPENED - timedelta(hours=1))
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["detail"]] == ["started_at"]
        late = as_user(world.agent).post(
            "/calls", _call(late_ticket.reference, OPENED + timedelta(minutes=5))
        )
        assert late.status_code == 422
    ticket = Ticket.objects.get(pk=late_ticket.pk)
    assert ticket.first_response_at is None and ticket.messages.count() == 1
    assert PhoneCall.objects.count() == 0


def test_a_call_logged_now_is_a_response_now(world, as_user, late_ticket):
    later = OPENED + timedelta(hours=8)
    with time_machine.travel(later, tick=False):
        body = _call(late_ticket.reference, later)
        del body["started_at"]
        assert as_user(world.agent).post("/calls", body).status_code == 201
    assert Ticket.objects.get(pk=late_ticket.pk).first_response_at == later


def test_an_import_may_log_a_call_at_its_past_instant(world, as_user, late_ticket):
    with time_machine.travel(OPENED + timedelta(hours=8), tick=False):
        body = _call(late_ticket.reference, OPENED + timedelta(minutes=5))
        assert as_user(world.admin, can_import=True).post("/calls", body).status_code == 201
    assert Ticket.objects.get(pk=late_ticket.pk).first_response_at == OPENED + timedelta(minutes=5)


@pytest.mark.parametrize("who", ["agent", "supervisor", "customer"])
def test_the_ticket_services_refuse_a_past_instant_from_anyone_but_an_import(world, late_ticket, who):
    """The rule lives in the services, so every door (API, phone, console, chat) gives the same answer."""
    actor = getattr(world, who)
    past = OPENED + timedelta(minutes=5)
    with time_machine.travel(OPENED + timedelta(hours=8), tick=False):
        with pytest.raises(ValidationError) as refused:
            services.ticket_reply(actor=actor, door="api", ticket=late_ticket, body="Hello", at=past)
        assert set(refused.value.message_dict) == {"at"}
        if who != "customer":
            with pytest.raises(ValidationError) as refused:
                services.ticket_start_intervention(actor=actor, door="api", ticket=late_ticket, at=past)
            assert set(refused.value.message_dict) == {"at"}
            with pytest.raises(ValidationError) as refused:
                services.ticket_change(
                    actor=actor, door="api", ticket=late_ticket, expected_version=None, status="open", at=past
                )
            assert set(refused.value.message_dict) == {"at"}
    ticket = Ticket.objects.get(pk=late_ticket.pk)
    assert (ticket.first_response_at, ticket.intervention_started_at, ticket.messages.count()) == (
        None,
        None,
        1,
    )
