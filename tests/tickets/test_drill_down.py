"""The dashboard's drill-down — the tickets opened in a period whose clock of a kind was met or breached — is
read from the clocks' own index (``clock_outcome_opened``: kind, outcome, the ticket's opening): each clock
carries its ticket's opening, whatever made it, and the queue lists the same tickets as the slower probe of
each ticket's clocks did."""

import importlib
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from guichet.tickets import escalation, services
from guichet.tickets.models import Category, Clock, ClockState, SlaClock, Status, Ticket
from guichet.tickets.selectors import queue, queue_page

LU = ZoneInfo("Europe/Luxembourg")
EVERY = list(Status.values)


def lu(*args):
    return datetime(*args, tzinfo=LU)


def open_ticket(world, at, category=Category.INCIDENT):
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description="No calls",
        category=category,
        priority="high",
        opened_at=at,
    )


@pytest.fixture
def month(world):
    """November: an incident a day from the 2nd to the 20th; those of even days answered in time, the others
    left to breach their first response. October: two more, breached."""
    with time_machine.travel(lu(2026, 12, 1, 9), tick=False):
        made = [open_ticket(world, lu(2026, 11, day, 8)) for day in range(2, 21)]
        made += [open_ticket(world, lu(2026, 10, day, 8)) for day in (5, 6)]
    for t in made:
        if t.opened_at.day % 2 == 0 and t.opened_at.month == 11:
            with time_machine.travel(t.opened_at + timedelta(hours=1), tick=False):
                services.ticket_reply(actor=world.agent, door="api", ticket=t, body="On it")
    with time_machine.travel(lu(2026, 12, 1, 10), tick=False):
        escalation.sweep()
    return made


def test_every_clock_carries_its_tickets_opening_whatever_made_it(world):
    with time_machine.travel(lu(2026, 12, 1, 9), tick=False):
        incident = open_ticket(world, lu(2026, 11, 30, 8))
        quoted = open_ticket(world, lu(2026, 11, 27, 15), category=Category.TECHNICAL_SERVICE)
        assert not quoted.clocks.exists()
        # No longer a technical service request: its clocks start from its opening (sla.enter_sla).
        services.ticket_change(
            actor=world.supervisor, door="api", ticket=quoted, expected_version=None, category="incident"
        )
    for ticket in (incident, quoted):
        openings = set(SlaClock.objects.filter(ticket=ticket).values_list("ticket_opened_at", flat=True))
        assert openings == {ticket.opened_at}


def test_the_drill_down_lists_what_a_probe_of_each_tickets_clocks_lists(world, month):
    for clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION):
        for state in (ClockState.MET, ClockState.BREACHED, ClockState.RUNNING):
            period = {"opened_from": lu(2026, 11, 1), "opened_before": lu(2026, 12, 1)}
            listed = list(
                queue(world.supervisor, statuses=EVERY, clock=clock, clock_state=state, **period)
                .values_list("pk", flat=True)
                .order_by("pk")
            )
            has = Exists(SlaClock.objects.filter(ticket=OuterRef("pk"), clock=clock, state=state))
            expected = list(
                Ticket.objects.filter(has, opened_at__gte=lu(2026, 11, 1), opened_at__lt=lu(2026, 12, 1))
                .values_list("pk", flat=True)
                .order_by("pk")
            )
            assert listed == expected, (clock, state)
    late = queue(
        world.supervisor,
        statuses=EVERY,
        clock=Clock.FIRST_RESPONSE,
        clock_state=ClockState.BREACHED,
        opened_from=lu(2026, 11, 1),
        opened_before=lu(2026, 12, 1),
    )
    assert sorted(t.opened_at.day for t in late) == [3, 5, 7, 9, 11, 13, 15, 17, 19]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_the_drill_down_reads_the_clocks_index_of_the_period(world, month):
    with CaptureQueriesContext(connection) as ctx:
        queue_page(
            world.supervisor,
            statuses=EVERY,
            clock=Clock.FIRST_RESPONSE,
            clock_state=ClockState.BREACHED,
            opened_from=lu(2026, 11, 1),
            opened_before=lu(2026, 12, 1),
        )
    (query,) = ctx.captured_queries
    with connection.cursor() as cur:
        plan = " ".join(str(r[-1]) for r in cur.execute(f"EXPLAIN QUERY PLAN {query['sql']}"))
    assert "COVERING INDEX clock_outcome_opened (clock=? AND state=? AND ticket_opened_at>?" in plan, plan


def test_the_migration_gives_each_clock_its_tickets_opening(world, month):
    SlaClock.objects.update(ticket_opened_at=lu(2000, 1, 1))
    migration = importlib.import_module("guichet.tickets.migrations.0020_clock_ticket_opened")
    migration.from_tickets(apps, SimpleNamespace(connection=connection))
    for clock in SlaClock.objects.select_related("ticket"):
        assert clock.ticket_opened_at == clock.ticket.opened_at
