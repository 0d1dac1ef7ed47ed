"""The dashboard's day rollups (tickets/stats.py): what they give, summed with the live count of what happened
since the job's last run, equals the live count over the tickets and clocks, for any period and filter; the
job's run can be repeated; who does not see every ticket gets live counts."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.customers.models import User
from guichet.plans.models import SlaPlan
from guichet.tickets import reports, services, stats
from guichet.tickets.models import AgentDayStat, Clock, ClockState, Priority, Status, Ticket, TicketDayStat
from tests.customers.factories import StaffFactory
from tests.helpers import breach

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 11, 30, 12, tzinfo=LU)
RUN = datetime(2026, 11, 29, 18, tzinfo=LU)  # the job's last run: what follows is counted live


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def opened(world, at, organisation=None):
    organisation = organisation or world.org
    requester = world.customer if organisation == world.org else world.foreigner
    with time_machine.travel(at, tick=False):
        return services.ticket_create(
            actor=requester,
            door="api",
            organisation=organisation,
            requester=requester,
            subject="x",
            description="x",
        )


@pytest.fixture
def tickets(world):
    """Tickets on 24 instants from early October to this morning (around the end of summer time on 25 October,
    late in the evening, early in the morning: the provider's days, not UTC's), of two organisations, two
    teams (and none), two agents (and nobody), two plans, every priority; some resolved, their clocks met
    or breached. The job runs at RUN; the tickets opened or resolved after it are counted live."""
    days = [datetime(2026, 10, 1, 9, tzinfo=LU) + timedelta(days=d * 2.5, hours=d * 7) for d in range(22)]
    days += [datetime(2026, 11, 29, 20, tzinfo=LU), datetime(2026, 11, 30, 8, tzinfo=LU)]  # after the run
    teams = itertools.cycle([world.support, world.noc, None])
    agents = itertools.cycle([world.agent, world.noc_agent, None, world.agent])
    priorities = itertools.cycle(Priority.values)
    made = []
    for i, at in enumerate(days):
        t = opened(world, at, world.other_org if i % 3 == 2 else world.org)
        if i == 0:
            other_plan = SlaPlan.objects.exclude(pk=t.plan_id).order_by("pk").first()
        changes = {"team": next(teams), "assignee": next(agents), "priority": next(priorities)}
        if i % 4 == 1:
            changes["plan"] = other_plan
        if i % 2 == 0 and at < RUN - timedelta(
            days=1
        ):  # resolved a day later (some after the end of a month)
            changes.update(status=Status.RESOLVED, resolved_at=at + timedelta(days=1))
        Ticket.objects.filter(pk=t.pk).update(**changes)
        if i % 3 == 0:
            breach(t, Clock.FIRST_RESPONSE)
        elif i % 3 == 1:
            t.clocks.filter(clock=Clock.FIRST_RESPONSE).update(state=ClockState.MET)
        if i % 4 == 0:
            t.clocks.filter(clock=Clock.RESOLUTION).update(state=ClockState.MET)
        if i % 5 == 0:
            breach(t, Clock.INTERVENTION)
        made.append(t)
    # Resolved after the run: counted live.
    Ticket.objects.filter(pk=made[-2].pk).update(status=Status.RESOLVED, resolved_at=NOW - timedelta(hours=1))
    with time_machine.travel(RUN, tick=False):
        assert stats.recompute() > 0
    return made


def figures(user, scope, parts=None) -> dict:
    """Every number the dashboard shows for ``scope`` (``parts``: how it is counted; None: as the page)."""
    t = reports.ticket_figures(user, scope, NOW, parts)
    c = reports.compliance(user, scope, parts)
    a = reports.agents_load(user, scope, NOW, "agent", parts)
    return {
        "tickets": [t["opened"].value, t["resolved"].value, t["open"].value]
        + [f.value for _label, f in t["backlog"]],
        "by_clock": [(x.clock, x.met.value, x.breached.value) for x in c["by_clock"]],
        "by_plan": [(x.plan, x.priority, x.clock, x.met.value, x.breached.value) for x in c["by_plan"]],
        "agents": [
            (x.agent_id, x.open.value, x.breached.value, x.resolved.value, x.first_response.ended) for x in a
        ],
    }


PERIODS = [
    ("month", None, None),
    ("last_month", None, None),
    ("7d", None, None),
    ("30d", None, None),
    ("custom", "2026-10-20", "2026-11-05"),  # across the end of summer time
    ("custom", "2026-11-29", "2026-11-30"),  # the run's day (a partial row) and today
    ("custom", "2026-10-01", "2026-10-01"),
]
FILTERS = [
    {},
    {"team": "noc"},
    {"organisation": "org"},
    {"plan": "other"},
    {"team": "support", "organisation": "org"},
]


@pytest.mark.parametrize("period,first,last", PERIODS)
@pytest.mark.parametrize("filters", FILTERS)
def test_the_rollups_and_the_live_count_since_give_the_live_counts(
    world, tickets, period, first, last, filters
):
    ids = {
        "noc": world.noc.pk,
        "support": world.support.pk,
        "org": world.org.pk,
        "other": SlaPlan.objects.exclude(pk=tickets[0].plan_id)
        .order_by("pk")
        .values_list("pk", flat=True)[0],
    }
    day = datetime.fromisoformat
    start, end = reports.period_bounds(
        period, first=first and day(first).date(), last=last and day(last).date(), now=NOW
    )
    scope = reports.Scope(start, end, **{f"{k}_id": ids[v] for k, v in filters.items()})
    parts = reports.split(world.supervisor, scope)
    assert parts.rolled is not None and parts.as_of == RUN  # the rows answer, up to the run
    live = reports.Split(None, (start, end), None)
    found = figures(world.supervisor, scope)
    assert found == figures(world.supervisor, scope, live)
    assert found["tickets"][0] or filters  # something to count
    agents = reports.agents_load(world.supervisor, scope, NOW, "agent", parts)
    assert [a.first_response.met.value for a in agents] == [
        a.first_response.met.value for a in reports.agents_load(world.supervisor, scope, NOW, "agent", live)
    ]


def test_the_rollups_answer_whole_days_and_count_the_tickets(world, tickets):
    scope = reports.Scope(*reports.period_bounds("last_month", now=NOW))
    assert reports.ticket_figures(world.supervisor, scope, NOW)["opened"].value == sum(
        1
        for t in tickets
        if datetime(2026, 10, 1, tzinfo=LU) <= t.opened_at < datetime(2026, 11, 1, tzinfo=LU)
    )
    # 23:00 UTC on 31 October is midnight in Luxembourg: the provider's days, not UTC's.
    assert set(TicketDayStat.objects.values_list("day", flat=True)) <= {
        t.opened_at.astimezone(LU).date() for t in tickets
    } | {(t.opened_at + timedelta(days=1)).astimezone(LU).date() for t in tickets}


def test_the_jobs_run_is_idempotent(world, tickets):
    def rows():
        days = TicketDayStat.objects.values().order_by("day", "plan", "priority", "team", "organisation")
        agents = AgentDayStat.objects.values().order_by("day", "assignee", "team", "plan")
        return [{k: v for k, v in r.items() if k != "id"} for r in [*days, *agents]]

    with time_machine.travel(RUN, tick=False):
        first = stats.recompute()
        before = rows()
        assert stats.recompute() == first
    assert rows() == before and len(before) == first


def test_a_run_writes_only_what_changed_and_gives_the_rows_of_a_first_run(world, tickets, frozen):
    def rows():
        days = TicketDayStat.objects.values().order_by("day", "plan", "priority", "team", "organisation")
        agents = AgentDayStat.objects.values().order_by("day", "assignee", "team", "plan")
        return [{k: v for k, v in r.items() if k != "id"} for r in [*days, *agents]]

    untouched = TicketDayStat.objects.filter(day=tickets[3].opened_at.astimezone(LU).date()).get()
    moved, resolved, breached = tickets[0], tickets[5], tickets[7]
    Ticket.objects.filter(pk=moved.pk).update(team=world.billing, assignee=world.billing_agent)
    Ticket.objects.filter(pk=resolved.pk).update(status=Status.RESOLVED, resolved_at=NOW - timedelta(hours=2))
    breach(breached, Clock.RESOLUTION)
    Ticket.objects.filter(pk=tickets[9].pk).delete()
    stats.recompute()
    again = rows()
    assert TicketDayStat.objects.get(pk=untouched.pk).computed_at == NOW  # kept, stamped
    TicketDayStat.objects.all().delete()
    AgentDayStat.objects.all().delete()
    stats.recompute()
    assert rows() == again


def test_a_reader_who_does_not_see_every_ticket_is_counted_live(world, tickets):
    manager = StaffFactory(username="amelie", kind=User.Kind.ACCOUNT_MANAGER)
    world.other_org.account_manager = manager
    world.other_org.save()
    scope = reports.Scope(*reports.period_bounds("last_month", now=NOW))
    parts = reports.split(manager, scope)
    assert parts.rolled is None and parts.as_of is None
    mine = figures(manager, scope)["tickets"][0]
    assert (
        mine
        == Ticket.objects.filter(organisation=world.other_org, opened_at__gte=scope.start)
        .filter(opened_at__lt=scope.end)
        .count()
    )


def test_a_period_before_the_rows_or_without_a_run_is_counted_live(world, tickets):
    old = reports.Scope(datetime(2025, 1, 1, tzinfo=LU), datetime(2025, 2, 1, tzinfo=LU))
    assert reports.split(world.supervisor, old).rolled is None
    TicketDayStat.objects.all().delete()
    scope = reports.Scope(*reports.period_bounds("30d", now=NOW))
    assert reports.split(world.supervisor, scope).as_of is None
