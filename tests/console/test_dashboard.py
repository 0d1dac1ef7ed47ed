"""The supervisor dashboard: SLA compliance and breaches by month, backlog by age, availability, credits."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet.availability import services as availability
from guichet.billing.models import Credit
from guichet.tickets import services
from guichet.tickets.models import Clock, ClockState
from tests.contracts.factories import SubscriptionFactory

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 11, 30, 12, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ticket(world, opened):
    with time_machine.travel(opened, tick=False):
        return services.ticket_create(
            actor=world.customer,
            door="api",
            organisation=world.org,
            requester=world.customer,
            subject="x",
            description="x",
        )


@pytest.fixture
def activity(world):
    answered = ticket(world, datetime(2026, 10, 5, 9, tzinfo=LU))
    late = ticket(world, datetime(2026, 10, 6, 9, tzinfo=LU))
    with time_machine.travel(datetime(2026, 10, 5, 10, tzinfo=LU), tick=False):
        services.ticket_reply(actor=world.agent, door="api", ticket=answered, body="Hello")
    late.clocks.filter(clock=Clock.FIRST_RESPONSE).update(state=ClockState.BREACHED)
    ticket(world, NOW - timedelta(hours=2))
    ticket(world, NOW - timedelta(days=10))
    line = SubscriptionFactory(organisation=world.org, identifier="LU-1")
    availability.outage_declare(
        actor=world.noc_agent,
        door="api",
        subscriptions=[line],
        started_at=datetime(2026, 11, 2, 10, tzinfo=LU),
        ended_at=datetime(2026, 11, 2, 16, tzinfo=LU),
        title="Down",
    )
    Credit.objects.create(
        organisation=world.org,
        subscription=line,
        kind="downtime",
        year=2026,
        month=10,
        amount=Decimal("40.00"),
        currency="EUR",
        explanation="x",
        created_at=datetime(2026, 11, 4, tzinfo=LU),
    )


def test_the_dashboard_shows_its_charts_with_their_figures(world, activity):
    from guichet.tickets.stats import recompute

    assert recompute() > 0  # the hourly job
    page = browser(world.supervisor).get("/console/dashboard/")
    assert page.status_code == 200
    text = page.text
    for chart in ("compliance", "breaches", "backlog", "availability", "credits"):
        assert f'id="chart-{chart}"' in text
    # October: the first response of one ticket met, of the other breached -> 50 %
    assert '<th scope="row">2026-10</th><td>50.0 %</td>' in text
    assert '<th scope="row">&lt; 1 day</th><td>1</td>' in text
    assert '<th scope="row">7-30 days</th><td>1</td>' in text  # ten days old
    assert '<th scope="row">30 days +</th><td>2</td>' in text  # October's two
    assert "SIP trunk LU-1</th><td>99.152 %</td>" in text  # 6 h down in the 708 h of November so far
    assert "2026-11 EUR</th><td>40.00 EUR</td>" in text


def test_the_dashboard_exports_what_it_shows_as_csv(world, activity):
    from guichet.tickets.stats import recompute

    recompute()
    response = browser(world.supervisor).get("/console/dashboard/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "chart,label,value" and "compliance,2026-10,50.0 %" in lines
    assert "credits,2026-11 EUR,40.00 EUR" in lines


def test_the_dashboard_is_for_supervisors(world):
    assert browser(world.agent).get("/console/dashboard/").status_code == 403
    assert browser(world.customer).get("/console/dashboard/").status_code == 403
