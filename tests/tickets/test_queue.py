"""Queues: a page read scope by scope is exactly the page of the whole queue."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.customers.models import User
from guichet.tickets import services
from guichet.tickets.models import Category, ClockState, SlaClock, Status, Ticket
from guichet.tickets.selectors import queue, queue_page

from ..customers.factories import StaffFactory
from ..helpers import breach


@pytest.fixture
def crowd(world):
    """Forty tickets of two organisations spread over teams, assignees, statuses and due instants, with ties
    and tickets without any deadline."""
    manager = StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER)
    world.other_org.account_manager = manager
    world.other_org.save()
    rng = random.Random(7)
    base = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for i in range(40):
        org, who = (world.org, world.customer) if i % 3 else (world.other_org, world.foreigner)
        ticket = services.ticket_create(
            actor=who,
            door="api",
            organisation=org,
            requester=who,
            subject=f"T{i}",
            description="?",
            category=rng.choice([Category.INCIDENT, Category.REQUEST, Category.BILLING]),
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            status=rng.choice(list(Status.values)),
            next_due_at=rng.choice([None, base, base + timedelta(hours=rng.randint(-20, 20))]),
            assignee=rng.choice([None, None, world.agent, world.noc_agent]),
            priority=rng.choice(["low", "high"]),
        )
        if i % 5 == 0:
            breach(ticket, "first_response")
    return manager


FILTERS = [
    {},
    {"statuses": ["new", "open", "pending_customer", "on_hold"]},
    {"statuses": ["closed"]},
    {"priority": "high"},
    {"mine": True},
    {"breached": True},
    {"breached": False},
    {"category": "billing", "statuses": ["new", "open"]},
    # the dashboard's drill-downs
    {"clock": "first_response", "clock_state": "breached", "statuses": list(Status.values)},
    {"clock_state": "breached"},
    {"due_from": datetime(2026, 12, 1, tzinfo=UTC), "due_before": datetime(2026, 12, 1, 12, tzinfo=UTC)},
    {"opened_from": datetime(2000, 1, 1, tzinfo=UTC), "opened_before": datetime(2100, 1, 1, tzinfo=UTC)},
    {"resolved_from": datetime(2000, 1, 1, tzinfo=UTC)},
]


def test_every_page_of_every_scope_is_the_page_of_the_whole_queue(world, crowd):
    users = [
        world.agent,
        world.noc_agent,
        world.billing_agent,
        world.supervisor,
        world.customer,
        world.foreigner,
        crowd,
    ]
    checked = 0
    for user in users:
        for filters in FILTERS:
            everything = list(queue(user, **filters).values_list("id", flat=True))
            for offset, limit in [(0, 50), (0, 3), (2, 5), (7, 4), (len(everything), 5)]:
                page = queue_page(user, offset=offset, limit=limit, **filters)
                assert page == everything[offset : offset + limit], (user.username, filters, offset)
                checked += len(page)
    assert checked > 500  # the crowd really spreads over the scopes


def test_walking_the_queue_page_after_page_lists_every_ticket_once_in_order(world, crowd):
    for user in [world.agent, world.supervisor, world.customer, crowd]:
        for filters in FILTERS:
            everything = list(queue(user, **filters).values_list("id", flat=True))
            walked: list[int] = []
            after = None
            while True:
                page = queue_page(user, limit=7, after=after, **filters)
                if not page:
                    break
                walked += page
                last = Ticket.objects.get(pk=page[-1])
                after = (last.next_due_at, last.pk)
            assert walked == everything, (user.username, filters)


def test_an_agent_page_costs_one_query_per_scope(world, crowd, django_assert_num_queries):
    world.agent.refresh_from_db()
    # "assigned to me", then "my teams' tickets" (the teams are a subquery of it)
    with django_assert_num_queries(2):
        queue_page(world.agent, statuses=["new", "open"])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_each_scope_reads_its_own_index(world, crowd):
    expected = {
        world.supervisor.username: {"ticket_queue"},
        world.customer.username: {"ticket_org_queue"},
        world.agent.username: {"ticket_assignee_queue", "ticket_team_queue"},
    }
    for user in (world.supervisor, world.customer, world.agent):
        with CaptureQueriesContext(connection) as ctx:
            queue_page(user, statuses=["new", "open", "pending_customer", "on_hold"])
        used = set()
        with connection.cursor() as cur:
            for q in ctx.captured_queries:
                if q["sql"].startswith('SELECT "tickets_ticket"."next_due_at"'):
                    plan = " ".join(str(r[-1]) for r in cur.execute(f"EXPLAIN QUERY PLAN {q['sql']}"))
                    used |= {word for word in plan.split() if word.startswith("ticket_")}
        assert used == expected[user.username], (user.username, used)


def test_the_dashboards_filters_narrow_the_queue_as_they_say(world, crowd):
    sue = world.supervisor
    every = list(Status.values)
    late = set(
        SlaClock.objects.filter(clock="first_response", state=ClockState.BREACHED).values_list(
            "ticket", flat=True
        )
    )
    assert (
        set(
            queue(sue, statuses=every, clock="first_response", clock_state="breached").values_list(
                "id", flat=True
            )
        )
        == late
    )
    assert queue(sue, statuses=every, clock="resolution", clock_state="breached").count() == 0
    alices = Ticket.objects.filter(assignee=world.agent)
    assert queue(sue, statuses=every, assignee_id=world.agent.pk).count() == alices.count() > 0
    base = datetime(2026, 12, 1, 9, tzinfo=UTC)
    due = queue(sue, statuses=every, due_from=base, due_before=base + timedelta(hours=1))
    assert {t.next_due_at for t in due} == {base}
    assert queue(sue, statuses=every, opened_before=datetime(2000, 1, 1, tzinfo=UTC)).count() == 0
