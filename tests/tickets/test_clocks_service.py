"""The SLA clocks of tickets, driven through the ticket services at chosen instants (imports)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.tickets import services
from guichet.tickets.models import Category, SlaClock, Status

LU = ZoneInfo("Europe/Luxembourg")
LISBON = ZoneInfo("Europe/Lisbon")


def lu(*args):
    return datetime(*args, tzinfo=LU)


def clocks(ticket):
    return {c.clock: c for c in SlaClock.objects.filter(ticket=ticket)}


def open_ticket(world, at, category=Category.INCIDENT, priority="high", **kw):
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="Lines down",
        description="All our SIP trunks are down since 16:00.",
        category=category,
        priority=priority,
        opened_at=at,
        **kw,
    )


@time_machine.travel(lu(2026, 12, 1, 12), tick=False)
def test_an_office_incident_reported_friday_afternoon_is_due_on_monday(world):
    ticket = open_ticket(world, lu(2026, 11, 27, 16))
    c = clocks(ticket)
    assert c["first_response"].due_at == lu(2026, 11, 30, 10)  # 4 fault-handling hours: 2 Fri + 2 Mon
    assert c["intervention"].due_at == lu(2026, 11, 30, 14)  # 8 h
    assert c["resolution"].due_at == lu(2026, 11, 30, 16)  # 10 h
    assert ticket.next_due_at == lu(2026, 11, 30, 10)
    assert ticket.reference == "GT-2026-000001"
    assert ticket.team == world.noc  # incidents go to the NOC


@time_machine.travel(lu(2026, 12, 1, 12), tick=False)
def test_the_first_public_agent_reply_meets_the_first_response_clock(world):
    ticket = open_ticket(world, lu(2026, 11, 27, 16))
    services.ticket_reply(
        actor=world.agent,
        door="api",
        ticket=ticket,
        body="Internal look",
        internal=True,
        at=lu(2026, 11, 27, 16, 30),
        can_import=True,
    )
    assert not clocks(ticket)["first_response"].stopped  # an internal note is no answer
    services.ticket_reply(
        actor=world.agent, door="api", ticket=ticket, body="On it", at=lu(2026, 11, 30, 9), can_import=True
    )
    fr = clocks(ticket)["first_response"]
    assert (fr.state, fr.used_seconds, fr.due_at) == ("met", 3 * 3600, lu(2026, 11, 30, 10))
    ticket.refresh_from_db()
    assert ticket.first_response_at == lu(2026, 11, 30, 9)
    assert ticket.status == Status.OPEN
    assert ticket.next_due_at == lu(2026, 11, 30, 14)  # now the intervention clock leads


@time_machine.travel(lu(2026, 12, 1, 12), tick=False)
def test_a_late_first_reply_is_a_breach(world):
    ticket = open_ticket(world, lu(2026, 11, 27, 16))
    services.ticket_reply(
        actor=world.agent, door="api", ticket=ticket, body="Sorry", at=lu(2026, 11, 30, 11), can_import=True
    )
    fr = clocks(ticket)["first_response"]
    assert (fr.state, fr.breached_at) == ("breached", lu(2026, 11, 30, 10))


@time_machine.travel(lu(2026, 12, 1, 12), tick=False)
def test_pending_customer_pauses_the_clocks_and_the_customer_reply_resumes_them(world):
    ticket = open_ticket(world, lu(2026, 11, 30, 9))  # Monday 09:00
    services.ticket_reply(
        actor=world.agent,
        door="api",
        ticket=ticket,
        body="Which site?",
        at=lu(2026, 11, 30, 10),
        can_import=True,
    )
    services.ticket_change(
        actor=world.agent,
        door="api",
        ticket=ticket,
        expected_version=None,
        status=Status.PENDING_CUSTOMER,
        at=lu(2026, 11, 30, 10),
        can_import=True,
    )
    c = clocks(ticket)
    assert c["resolution"].state == "paused" and c["resolution"].due_at is None
    ticket.refresh_from_db()
    assert ticket.next_due_at is None
    services.ticket_reply(
        actor=world.customer,
        door="api",
        ticket=ticket,
        body="Site B",
        at=lu(2026, 11, 30, 15),
        can_import=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    c = clocks(ticket)
    # 1 h used before the pause; 9 h left from 15:00 Monday = 3 h Monday + 6 h Tuesday.
    assert c["resolution"].due_at == lu(2026, 12, 1, 14)
    assert c["resolution"].segments == [
        [lu(2026, 11, 30, 9).isoformat(), lu(2026, 11, 30, 10).isoformat()],
        [lu(2026, 11, 30, 15).isoformat(), None],
    ]


@time_machine.travel(lu(2026, 12, 1, 9), tick=False)
def test_intervention_and_resolution_meet_their_clocks_and_a_reopen_restarts_resolution(world):
    ticket = open_ticket(world, lu(2026, 11, 30, 9))
    services.ticket_start_intervention(
        actor=world.noc_agent, door="api", ticket=ticket, at=lu(2026, 11, 30, 11), can_import=True
    )
    services.ticket_change(
        actor=world.noc_agent,
        door="api",
        ticket=ticket,
        expected_version=None,
        status=Status.RESOLVED,
        at=lu(2026, 11, 30, 13),
        can_import=True,
    )
    c = clocks(ticket)
    assert c["intervention"].state == "met" and c["intervention"].used_seconds == 2 * 3600
    assert c["resolution"].state == "met" and c["resolution"].used_seconds == 4 * 3600
    assert c["first_response"].state == "met"  # resolving answers too
    services.ticket_reply(
        actor=world.customer,
        door="api",
        ticket=ticket,
        body="Down again",
        at=lu(2026, 12, 1, 8),
        can_import=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.resolved_at is None
    res = clocks(ticket)["resolution"]
    assert res.state == "running"
    assert res.due_at == lu(2026, 12, 1, 14)  # 4 h used, 6 h left from Tuesday 08:00


@time_machine.travel(lu(2026, 12, 3, 12), tick=False)
def test_a_priority_change_recomputes_from_the_opening_with_the_time_used(world):
    world.use_plan("saas-support")
    lisbon = lambda *a: datetime(*a, tzinfo=LISBON)  # noqa: E731
    ticket = open_ticket(world, lisbon(2026, 11, 30, 10), category=Category.REQUEST, priority="medium")
    assert clocks(ticket)["first_response"].due_at == lisbon(2026, 12, 2, 10)  # 1 business day; 1 Dec closed
    services.ticket_change(
        actor=world.agent,
        door="api",
        ticket=ticket,
        expected_version=None,
        priority="urgent",
        at=lisbon(2026, 11, 30, 11),
        can_import=True,
    )
    fr = clocks(ticket)["first_response"]
    assert fr.target_seconds == 4 * 3600
    assert fr.due_at == lisbon(2026, 11, 30, 14)
    assert fr.state == "breached"  # the machine's "now" is 3 December: nobody answered


@time_machine.travel(lu(2026, 12, 28, 12), tick=False)
def test_advanced_plan_faults_run_24_7_but_requests_wait_for_support_hours_across_christmas(world):
    world.use_plan("advanced")
    incident = open_ticket(world, lu(2026, 12, 24, 17))
    request = open_ticket(world, lu(2026, 12, 24, 17), category=Category.REQUEST)
    assert clocks(incident)["first_response"].due_at == lu(2026, 12, 24, 19)  # 2 h, round the clock
    # Support Mon-Fri 07:30-18:00, closed on Christmas (25th) and St Stephen's day (26th, a Saturday anyway):
    # 1 h on Thursday 24th, then 1 h from Monday 28th 07:30.
    assert clocks(request)["first_response"].due_at == lu(2026, 12, 28, 8, 30)


@time_machine.travel(lu(2026, 12, 1, 12), tick=False)
def test_billing_tickets_run_on_the_billing_calendar_when_the_plan_has_one(world):
    from guichet.plans.models import Calendar

    plan = world.use_plan("office")
    plan.billing_calendar = Calendar.objects.get(name="TN billing Mon-Fri 10:00-18:00")
    plan.save()
    ticket = open_ticket(world, lu(2026, 11, 30, 9), category=Category.BILLING)
    fr = clocks(ticket)["first_response"]
    assert fr.calendar.time_zone == "Africa/Tunis"
    # Monday 09:00 Luxembourg = 09:00 Tunis (both UTC+1 in winter); billing opens 10:00: 4 h -> 14:00.
    assert fr.due_at == lu(2026, 11, 30, 14)
    assert ticket.team == world.billing


@time_machine.travel(lu(2026, 12, 1, 12), tick=False)
def test_technical_service_requests_have_no_clocks_and_go_through_a_quote(world):
    from decimal import Decimal

    ticket = open_ticket(world, lu(2026, 11, 30, 9), category=Category.TECHNICAL_SERVICE)
    assert ticket.outside_sla and not clocks(ticket) and ticket.next_due_at is None
    quote = services.quote_send(actor=world.agent, door="api", ticket=ticket, amount=Decimal("350"))
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING_CUSTOMER
    services.quote_decide(actor=world.customer, door="api", quote=quote, accept=True)
    ticket.refresh_from_db()
    quote.refresh_from_db()
    assert (quote.status, ticket.status) == ("accepted", Status.OPEN)


def test_opening_in_the_future_or_without_import_rights_is_refused(world):
    with pytest.raises(services.ValidationError) as exc:
        services.ticket_create(
            actor=world.agent,
            door="api",
            organisation=world.org,
            requester=world.customer,
            subject="x",
            description="y",
            opened_at=lu(2020, 1, 1),
        )
    assert "opened_at" in exc.value.message_dict
    with pytest.raises(services.ValidationError) as exc:
        open_ticket(world, datetime.now(LU) + timedelta(hours=1))
    assert "opened_at" in exc.value.message_dict


@time_machine.travel(lu(2026, 12, 9, 12), tick=False)
def test_a_read_counts_the_time_used_as_a_full_evaluation_would(world):
    """sla.live counts only the time used and takes the stored due instant: the same answer as evaluating
    the clock again, at every instant, paused or not, before and after its breach."""
    from guichet.businesstime.clocks import evaluate
    from guichet.plans.selectors import business_calendar
    from guichet.tickets import sla

    ticket = open_ticket(world, lu(2026, 11, 27, 16, 30), category=Category.REQUEST, priority="low")
    services.ticket_change(
        actor=world.agent,
        door="api",
        ticket=ticket,
        expected_version=None,
        status=Status.PENDING_CUSTOMER,
        at=lu(2026, 11, 30, 9),
        can_import=True,
    )
    services.ticket_reply(
        actor=world.customer, door="api", ticket=ticket, body="!", at=lu(2026, 12, 1, 14), can_import=True
    )
    rows = list(SlaClock.objects.select_related("calendar", "ticket__plan").filter(ticket=ticket))
    assert any(not r.stopped and r.segments[-1][1] is None for r in rows)  # counting again
    checked = 0
    for hours in range(0, 8 * 24, 5):
        now = lu(2026, 12, 1, 14) + timedelta(hours=hours)
        for row in rows:
            if row.stopped:
                continue
            full = evaluate(
                business_calendar(row.calendar),
                timedelta(seconds=row.target_seconds),
                sla._segments(row),
                now,
            )
            assert sla.live(row, now) == (full.state.value, full.due_at, int(full.used.total_seconds()))
            checked += 1
    assert checked > 50
    assert {sla.live(r, lu(2026, 12, 8, 18))[0] for r in rows if not r.stopped} == {"breached"}


@pytest.mark.django_db(transaction=True)
def test_a_closed_date_added_to_a_calendar_moves_the_due_instants_of_running_clocks(world):
    from django.core.management import call_command

    from guichet.plans.models import ClosedDate

    with time_machine.travel(lu(2026, 11, 30, 17), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 16), category=Category.REQUEST, priority="low")
        before = clocks(ticket)["resolution"].due_at
        calendar = clocks(ticket)["resolution"].calendar
        ClosedDate.objects.create(calendar=calendar, date=before.astimezone(LU).date(), label="Staff party")
        calendar.save()  # as the admin does: the calendar's version moves with its closed dates
        call_command("worker", batch=True, no_scheduler=True, interval=0)
    after = clocks(ticket)["resolution"].due_at
    assert after.astimezone(LU).date() > before.astimezone(LU).date()  # the closed day is skipped
    ticket.refresh_from_db()
    assert ticket.next_due_at == min(c.due_at for c in clocks(ticket).values() if not c.stopped)
