"""What the clocks measure is what happened (issue 13): a technical service request has no clock counting, a
merge ends clocks as merged (out of the compliance figures), a met or breached clock keeps its outcome."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.tickets import escalation, services, stats
from guichet.tickets.models import Category, Notification, SlaClock, Status, Ticket, TicketDayStat

LU = ZoneInfo("Europe/Luxembourg")
LISBON = ZoneInfo("Europe/Lisbon")


def lu(*args):
    return datetime(*args, tzinfo=LU)


def lisbon(*args):
    return datetime(*args, tzinfo=LISBON)


def clocks(ticket):
    return {c.clock: c for c in SlaClock.objects.filter(ticket=ticket)}


def open_ticket(world, at, category=Category.INCIDENT, priority="high", subject="Lines down"):
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="All our SIP trunks are down.",
        category=category,
        priority=priority,
        opened_at=at,
    )


def change(world, ticket, **kw):
    return services.ticket_change(actor=world.agent, door="api", ticket=ticket, expected_version=None, **kw)


# Technical service requests -------------------------------------------------------------------------------


def test_a_ticket_changed_into_a_technical_service_request_has_no_clock_counting_nor_escalated(world):
    with time_machine.travel(lu(2026, 12, 1, 10), tick=False):
        ticket = open_ticket(world, lu(2026, 12, 1, 9))  # Office incident: first response due at 13:00
        change(world, ticket, category=Category.TECHNICAL_SERVICE)
    ticket.refresh_from_db()
    assert ticket.outside_sla and ticket.next_due_at is None
    assert clocks(ticket) == {}  # as a technical service request opened as one
    with time_machine.travel(lu(2026, 12, 3, 12), tick=False):  # long past every former due instant
        assert escalation.sweep() == {"raised": 0, "warned": 0, "breached": 0}
    assert not Notification.objects.exists()


def test_a_clock_breached_before_the_change_into_a_technical_service_request_stays_breached(world):
    with time_machine.travel(lu(2026, 12, 1, 12, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 12, 1, 8))  # first response due at 12:00: breached
        change(world, ticket, category=Category.TECHNICAL_SERVICE)
    c = clocks(ticket)
    assert set(c) == {"first_response"}  # intervention (16:00) and resolution (18:00) were undecided
    fr = c["first_response"]
    assert (fr.state, fr.stopped, fr.breached_at) == ("breached", True, lu(2026, 12, 1, 12))
    with time_machine.travel(lu(2026, 12, 3, 12), tick=False):
        assert escalation.sweep() == {"raised": 0, "warned": 0, "breached": 0}


def test_a_technical_service_request_changed_into_an_incident_starts_its_clocks_from_the_opening(world):
    with time_machine.travel(lu(2026, 12, 1, 12, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 12, 1, 8), category=Category.TECHNICAL_SERVICE)
        services.ticket_reply(
            actor=world.agent,
            door="api",
            ticket=ticket,
            body="We look",
            at=lu(2026, 12, 1, 9),
            can_import=True,
        )
        assert clocks(ticket) == {}
        change(world, ticket, category=Category.INCIDENT)
        ticket.refresh_from_db()
        c = clocks(ticket)
        # Office fault-handling hours, Mon-Fri 08:00-18:00, from the opening at 08:00.
        assert (c["first_response"].state, c["first_response"].used_seconds) == ("met", 3600)  # the reply
        assert (c["intervention"].state, c["intervention"].due_at) == ("running", lu(2026, 12, 1, 16))
        assert (c["resolution"].state, c["resolution"].due_at) == ("running", lu(2026, 12, 1, 18))
        assert not ticket.outside_sla and ticket.next_due_at == lu(2026, 12, 1, 16)


def test_a_technical_service_request_waiting_for_its_quote_gets_paused_clocks_when_it_leaves(world):
    with time_machine.travel(lu(2026, 12, 1, 12), tick=False):
        ticket = open_ticket(world, lu(2026, 12, 1, 8), category=Category.TECHNICAL_SERVICE)
        services.quote_send(actor=world.agent, door="api", ticket=ticket, amount=Decimal("350"))
        change(world, ticket, category=Category.REQUEST)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING_CUSTOMER
    assert {c.state for c in clocks(ticket).values()} == {"paused"}
    assert ticket.next_due_at is None


# Outcomes kept when the priority changes -----------------------------------------------------------------


@time_machine.travel(lisbon(2026, 11, 30, 16), tick=False)
def test_a_met_first_response_stays_met_when_the_priority_is_raised_later(world):
    world.use_plan("saas-support")
    ticket = open_ticket(world, lisbon(2026, 11, 30, 10), category=Category.REQUEST, priority="high")
    services.ticket_reply(
        actor=world.agent,
        door="api",
        ticket=ticket,
        body="Hello",
        at=lisbon(2026, 11, 30, 15),
        can_import=True,
    )
    change(world, ticket, priority="urgent")  # urgent: 4 h, which the 5 h answer would have missed
    fr = clocks(ticket)["first_response"]
    assert (fr.state, fr.target_seconds, fr.breached_at) == ("met", 12 * 3600, None)


@time_machine.travel(lisbon(2026, 11, 30, 16), tick=False)
def test_a_breached_first_response_stays_breached_when_the_priority_is_lowered_later(world):
    world.use_plan("saas-support")
    ticket = open_ticket(world, lisbon(2026, 11, 30, 9), category=Category.REQUEST, priority="urgent")
    assert clocks(ticket)["first_response"].due_at == lisbon(2026, 11, 30, 13)  # 4 h: breached at 13:00
    change(world, ticket, priority="low")  # two business days would not be late yet
    c = clocks(ticket)
    assert (c["first_response"].state, c["first_response"].due_at) == ("breached", lisbon(2026, 11, 30, 13))
    assert c["first_response"].target_seconds == 4 * 3600
    ticket.refresh_from_db()
    assert ticket.next_due_at == lisbon(2026, 11, 30, 13)  # still counting, late: first in the queue


def test_the_escalations_priority_raise_leaves_a_met_intervention_met(world):
    from guichet.plans.models import PlanTarget

    plan = world.use_plan("standard")  # Mon-Fri 08:00-17:00: 12 h to answer, 24 h to intervene
    plan.raise_priority_after = Decimal(4)
    plan.save()
    PlanTarget.objects.create(plan=plan, clock="intervention", priority="high", amount=Decimal(1))
    with time_machine.travel(lu(2026, 11, 30, 12, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8), category=Category.REQUEST, priority="medium")
        services.ticket_start_intervention(
            actor=world.agent, door="api", ticket=ticket, at=lu(2026, 11, 30, 9, 30), can_import=True
        )
        assert escalation.sweep()["raised"] == 1  # unanswered after 4 h: medium -> high
    ticket.refresh_from_db()
    intervention = clocks(ticket)["intervention"]
    assert ticket.priority == "high"
    assert (intervention.state, intervention.target_seconds) == ("met", 24 * 3600)


# Merges ---------------------------------------------------------------------------------------------------


def test_a_merged_tickets_clocks_end_as_merged_and_are_left_out_of_compliance(world):
    with time_machine.travel(lu(2026, 12, 1, 12, 30), tick=False):
        keep = open_ticket(world, lu(2026, 12, 1, 9), subject="Trunk down")
        dup = open_ticket(world, lu(2026, 12, 1, 8), subject="Trunk down again")  # first response breached
        services.ticket_merge(actor=world.supervisor, door="api", ticket=dup, into=keep)
        c = clocks(dup)
        assert {k: (v.state, v.stopped) for k, v in c.items()} == {
            "first_response": ("breached", True),  # late before the merge: that happened
            "intervention": ("merged", True),
            "resolution": ("merged", True),
        }
        assert c["intervention"].due_at is None
    with time_machine.travel(lu(2026, 12, 2, 1), tick=False):
        stats.recompute()  # the day rows count the days before the run's
    sums = {
        f"{clock}_{outcome}": sum(getattr(s, f"{clock}_{outcome}") for s in TicketDayStat.objects.all())
        for clock in ("first_response", "intervention", "resolution")
        for outcome in ("met", "breached")
    }
    assert {k: v for k, v in sums.items() if v} == {"first_response_breached": 1}  # nothing met by a merge
    with time_machine.travel(lu(2026, 12, 3, 12), tick=False):
        escalation.sweep()
    assert not Notification.objects.filter(ticket=dup).exists()


def test_the_migration_turns_clocks_a_merge_ended_as_met_into_merged(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("guichet.tickets.migrations.0009_clock_merged_state")
    with time_machine.travel(lu(2026, 12, 1, 12, 30), tick=False):
        keep = open_ticket(world, lu(2026, 12, 1, 9), subject="Trunk down")
        dup = open_ticket(world, lu(2026, 12, 1, 9, 30), subject="Trunk down again")
        services.ticket_reply(
            actor=world.agent, door="api", ticket=dup, body="We look", at=lu(2026, 12, 1, 10), can_import=True
        )
        services.ticket_merge(actor=world.supervisor, door="api", ticket=dup, into=keep)
    # As merges left them before: "met" at the merge.
    SlaClock.objects.filter(ticket=dup, state="merged").update(state="met")
    migration.merged_clocks(apps, None)
    assert {k: v.state for k, v in clocks(dup).items()} == {
        "first_response": "met",  # answered before the merge
        "intervention": "merged",
        "resolution": "merged",
    }
    assert Ticket.objects.get(pk=keep.pk).merged_into_id is None


def test_a_quote_decided_after_the_ticket_left_the_technical_service_requests_moves_its_clocks(world):
    with time_machine.travel(lu(2026, 12, 1, 10), tick=False):
        ticket = open_ticket(world, lu(2026, 12, 1, 8), category=Category.TECHNICAL_SERVICE)
        quote = services.quote_send(actor=world.agent, door="api", ticket=ticket, amount=Decimal("350"))
        change(world, ticket, category=Category.INCIDENT)  # paused from 10:00: the quote waits
    with time_machine.travel(lu(2026, 12, 1, 11), tick=False):
        services.quote_decide(actor=world.customer, door="api", quote=quote, accept=True)
    ticket.refresh_from_db()
    resolution = clocks(ticket)["resolution"]
    # 2 h counted before the pause, 8 h left from 11:00: Tuesday 18:00 + 1 h on Wednesday.
    assert (ticket.status, resolution.state) == (Status.OPEN, "running")
    assert resolution.due_at == lu(2026, 12, 2, 9)
    assert ticket.next_due_at == lu(2026, 12, 1, 13)  # first response: 4 h, 2 used, 2 left from 11:00


def test_a_closed_tickets_quote_is_neither_sent_nor_decided(world):
    from guichet.errors import ValidationError

    with time_machine.travel(lu(2026, 12, 1, 10), tick=False):
        ticket = open_ticket(world, lu(2026, 12, 1, 8), category=Category.TECHNICAL_SERVICE)
        quote = services.quote_send(actor=world.agent, door="api", ticket=ticket, amount=Decimal("350"))
        change(world, ticket, status=Status.CLOSED)
        with pytest.raises(ValidationError) as refused:
            services.quote_decide(actor=world.customer, door="api", quote=quote, accept=True)
        assert set(refused.value.message_dict) == {"quote"}
        with pytest.raises(ValidationError) as refused:
            services.quote_send(actor=world.agent, door="api", ticket=ticket, amount=Decimal("1"))
        assert set(refused.value.message_dict) == {"ticket"}
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
