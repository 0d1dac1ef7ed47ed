"""Each ticket keeps whether any of its clocks is breached (``Ticket.breached``), so that the queues' and the
dashboard's breached counts read an index instead of every open ticket's clocks. The flag must say what the
clocks say after whatever happens to the ticket: these tests compare the two after each door that changes
clocks (creation, the breach sweep, a calendar's new hours, replies, changes, merges) and check the
migration that set it on the tickets already stored."""

import importlib
import random
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from guichet.tickets import escalation, reports, services, sla
from guichet.tickets.models import Category, Clock, ClockState, SlaClock, Status, Ticket
from guichet.tickets.selectors import queue

LU = ZoneInfo("Europe/Luxembourg")


def lu(*args):
    return datetime(*args, tzinfo=LU)


def open_ticket(world, at, **kw):
    """An Office incident opened at ``at`` through the import door (first response: 4 business hours)."""
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description="No calls",
        category=kw.pop("category", Category.INCIDENT),
        priority=kw.pop("priority", "high"),
        opened_at=at,
    )


def disagreements() -> list[str]:
    """The tickets whose flag does not say what their clocks say."""
    any_breached = Exists(SlaClock.objects.filter(ticket=OuterRef("pk"), state=ClockState.BREACHED))
    return [
        f"{t.reference}: flag {t.breached}, clocks {t.clocks_say}"
        for t in Ticket.objects.annotate(clocks_say=any_breached)
        if t.breached != t.clocks_say
    ]


def test_the_breach_sweep_flags_the_ticket_and_the_queue_reads_the_flag(world):
    with time_machine.travel(lu(2026, 11, 30, 11), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8))
        assert not Ticket.objects.get(pk=ticket.pk).breached
    with time_machine.travel(lu(2026, 11, 30, 12, 0, 1), tick=False):
        assert escalation.sweep()["breached"] == 1
    assert Ticket.objects.get(pk=ticket.pk).breached
    assert list(queue(world.supervisor, breached=True).values_list("pk", flat=True)) == [ticket.pk]
    assert ticket.pk not in queue(world.supervisor, breached=False).values_list("pk", flat=True)
    assert disagreements() == []


def test_a_ticket_imported_after_its_due_time_is_flagged_as_it_is_created(world):
    with time_machine.travel(lu(2026, 12, 1, 9), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8))
    assert Ticket.objects.get(pk=ticket.pk).breached
    assert disagreements() == []


def test_new_hours_that_bring_a_due_time_into_the_past_flag_the_ticket(world):
    # Friday 17:00: an hour of Friday, then Monday 08:00-11:00 -> due Monday 11:00.
    with time_machine.travel(lu(2026, 11, 27, 17, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 27, 17))
    clock = SlaClock.objects.get(ticket=ticket, clock=Clock.FIRST_RESPONSE)
    assert clock.due_at == lu(2026, 11, 30, 11)
    # Saturday noon, the desk now opens on Saturdays: the three hours left ran out at 11:00 today.
    calendar = clock.calendar
    calendar.hours = "Mon-Sat 08:00-18:00"
    calendar.save(update_fields=["hours"])
    sla.recompute_calendar(calendar.pk, now=lu(2026, 11, 28, 12))
    clock.refresh_from_db()
    assert (clock.state, clock.due_at) == (ClockState.BREACHED, lu(2026, 11, 28, 11))
    assert Ticket.objects.get(pk=ticket.pk).breached
    assert disagreements() == []


def test_the_flag_says_what_the_clocks_say_whatever_happens(world):
    """Tickets live through replies, priority and status changes, merges and sweeps, in a random order
    drawn from a fixed seed, over a working week; after every step the flags agree with the clocks."""
    rng = random.Random(15)
    start = lu(2026, 11, 30, 8)
    with time_machine.travel(start, tick=False):
        tickets = [
            open_ticket(world, start, priority=rng.choice(["low", "high", "urgent"])) for _ in range(6)
        ]
    at = start
    for step in range(40):
        at += timedelta(minutes=rng.choice([10, 45, 120, 300]))
        with time_machine.travel(at, tick=False):
            ticket = Ticket.objects.get(pk=rng.choice(tickets).pk)
            action = rng.choice(["reply", "priority", "status", "sweep", "merge", "note"])
            if ticket.merged_into_id or (action == "merge" and ticket.status == Status.CLOSED):
                action = "sweep"
            if action == "reply":
                services.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="On it")
            elif action == "note":
                services.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="x", internal=True)
            elif action == "priority":
                services.ticket_change(
                    actor=world.supervisor,
                    door="api",
                    ticket=ticket,
                    expected_version=None,
                    priority=rng.choice(["low", "medium", "high", "urgent"]),
                )
            elif action == "status":
                services.ticket_change(
                    actor=world.supervisor,
                    door="api",
                    ticket=ticket,
                    expected_version=None,
                    status=rng.choice([Status.PENDING_CUSTOMER, Status.OPEN, Status.RESOLVED]),
                )
            elif action == "merge":
                into = (
                    Ticket.objects.filter(pk__in=[t.pk for t in tickets], merged_into__isnull=True)
                    .exclude(pk=ticket.pk)
                    .exclude(status=Status.CLOSED)
                    .first()
                )
                if into is not None:
                    services.ticket_merge(actor=world.supervisor, door="api", ticket=ticket, into=into)
            else:
                escalation.sweep()
            assert disagreements() == [], (step, action)
    assert Ticket.objects.filter(breached=True).exists()  # the week did breach some clocks


def test_the_migration_sets_the_flag_from_the_clocks_already_stored(world):
    with time_machine.travel(lu(2026, 12, 1, 9), tick=False):
        late = open_ticket(world, lu(2026, 11, 30, 8))
        on_time = open_ticket(world, lu(2026, 12, 1, 8, 30))
    Ticket.objects.update(breached=False)  # as the column was added: false everywhere
    migration = importlib.import_module("guichet.tickets.migrations.0018_ticket_breached")
    migration.from_clocks(apps, SimpleNamespace(connection=connection))
    assert set(Ticket.objects.filter(breached=True).values_list("pk", flat=True)) == {late.pk}
    assert not Ticket.objects.get(pk=on_time.pk).breached
    assert disagreements() == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.parametrize("team", [False, True])
def test_the_agents_open_load_is_counted_from_one_index_alone(world, team):
    """The dashboard's agents' load (open tickets per agent, breached, due within the hour) reads one index
    and no row of the table: at 1M tickets, 100,000 open ones are index entries; a team's, its own range of
    ticket_team_opened (not every open ticket's row looked up for its team)."""
    with time_machine.travel(lu(2026, 12, 1, 9), tick=False):
        for day in (1, 2, 3):
            open_ticket(world, lu(2026, 11, 30 - day, 8))
        scope = reports.Scope(
            start=lu(2026, 12, 1), end=lu(2027, 1, 1), team_id=world.noc.pk if team else None
        )
        with CaptureQueriesContext(connection) as ctx:
            load = reports._open_load(reports._tickets(world.supervisor, scope), team=team)
    assert sum(row["open"] for row in load.values()) == 3  # the NOC's incidents
    (query,) = ctx.captured_queries
    with connection.cursor() as cur:
        plan = " ".join(str(r[-1]) for r in cur.execute(f"EXPLAIN QUERY PLAN {query['sql']}"))
    index = "ticket_team_opened" if team else "ticket_open_load"
    assert f"COVERING INDEX {index}" in plan, plan
    if not team:
        assert "TEMP B-TREE" not in plan, plan  # grouped in the index's order
