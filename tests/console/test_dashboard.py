"""The supervisor dashboard: filters in the URL, figures on a small known data set, every figure a link to
the tickets behind it, the agents' load in a bounded number of queries, refusals."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.availability import services as availability
from guichet.billing.models import Credit
from guichet.customers.models import User
from guichet.tickets import services
from guichet.tickets.models import Clock, Status, Ticket
from guichet.tickets.stats import recompute
from tests import helpers
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import StaffFactory
from tests.helpers import signed_in as browser

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 11, 30, 12, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ticket(world, opened, organisation=None, subject="x"):
    organisation = organisation or world.org
    requester = world.customer if organisation == world.org else world.foreigner
    with time_machine.travel(opened, tick=False):
        return services.ticket_create(
            actor=requester,
            door="api",
            organisation=organisation,
            requester=requester,
            subject=subject,
            description="x",
        )


def assign(t, agent, team=None):
    Ticket.objects.filter(pk=t.pk).update(assignee=agent, team=team)


def breach(t, clock=Clock.FIRST_RESPONSE):
    helpers.breach(t, clock)


@pytest.fixture
def activity(world):
    """October: two tickets, one answered in time, one late (both Alice's, still open). November: one
    opened two hours ago and due within the hour (Alice's, NOC), one opened ten days ago and breached
    (Alice's), one resolved today (Nora's); Globex's ticket of last week (nobody's). An outage, a credit."""
    answered = ticket(world, datetime(2026, 10, 5, 9, tzinfo=LU))
    late = ticket(world, datetime(2026, 10, 6, 9, tzinfo=LU))
    with time_machine.travel(datetime(2026, 10, 5, 10, tzinfo=LU), tick=False):
        services.ticket_reply(actor=world.agent, door="api", ticket=answered, body="Hello")
    breach(late)
    for t in (answered, late):
        assign(t, world.agent)
    soon = ticket(world, NOW - timedelta(hours=2))
    assign(soon, world.agent, world.noc)
    Ticket.objects.filter(pk=soon.pk).update(next_due_at=NOW + timedelta(minutes=30))
    old = ticket(world, NOW - timedelta(days=10))
    assign(old, world.agent)
    breach(old, Clock.RESOLUTION)
    resolved = ticket(world, NOW - timedelta(days=3))
    assign(resolved, world.noc_agent)
    resolved.refresh_from_db()
    services.ticket_change(
        actor=world.noc_agent, door="api", ticket=resolved, expected_version=None, status=Status.RESOLVED
    )
    ticket(world, NOW - timedelta(days=5), organisation=world.other_org)
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
    recompute()  # the hourly sla-stats job


def row(text: str, label: str) -> str:
    """The figure a chart's table gives for ``label`` (the link's text, if it is a link)."""
    found = re.search(rf'<th scope="row">{re.escape(label)}</th><td>(?:<a href="[^"]*">)?([^<]*)', text)
    assert found, label
    return found.group(1)


def links(text: str) -> list[tuple[str, int]]:
    """Every link of the page to the queue whose text is a number: (its address, that number)."""
    found = re.findall(r'<a href="(/console/\?[^"]*)"[^>]*>(\d+)</a>', text)
    return [(unescape(href), int(n)) for href, n in found]


def agent_row(text: str, name: str) -> list[str]:
    found = re.search(rf'<th scope="row"><a href="[^"]*">{name}</a></th>(.*?)</tr>', text, re.S)
    assert found, name
    return re.findall(r"<td>(?:<a [^>]*>)?([^<]*)", found.group(1))


def test_the_dashboard_shows_this_months_figures_by_default(world, activity):
    page = browser(world.supervisor).get("/console/dashboard/")
    assert page.status_code == 200
    text = page.text
    for chart in ("tickets", "backlog", "compliance", "availability", "credits"):
        assert f'id="chart-{chart}"' in text
    assert 'class="dashboard wide"' in text  # the whole width (guichet.css)
    assert "from 2026-11-01 to 2026-11-30 included" in text
    assert row(text, "Opened") == "4"
    assert row(text, "Resolved") == "1"
    assert row(text, "Opened and still open") == "3"
    assert row(text, "Less than a day") == "1"
    assert row(text, "3 to 7 days") == "1"  # Globex's: Acme's of three days ago is resolved
    assert row(text, "7 to 30 days") == "1"
    assert row(text, "30 days or more") == "0"  # October's are not of this period
    assert row(text, "SIP trunk LU-1") == "99.152 %"  # 6 h down in the 708 h of November so far
    assert row(text, "2026-11 EUR") == "40.00 EUR"


def test_last_months_compliance_comes_from_the_hourly_figures(world, activity):
    text = browser(world.supervisor).get("/console/dashboard/", {"period": "last_month"}).text
    assert "from 2026-10-01 to 2026-10-31 included" in text
    assert "Figures of past days as of 2026-11-30 12:00" in text
    # October: the first response of one ticket met, of the other breached
    assert re.search(
        r'<th scope="row">First response</th><td><a [^>]*>1</a></td><td><a [^>]*>1</a></td>'
        r"<td>50.0 %</td>",
        text,
    )
    assert row(text, "Opened") == "2"


def test_the_same_compliance_for_an_organisation(world, activity):
    text = (
        browser(world.supervisor)
        .get("/console/dashboard/", {"period": "last_month", "organisation": world.org.pk})
        .text
    )
    assert "Figures of past days as of" in text  # the day rows have an organisation
    assert re.search(
        r'<th scope="row">First response</th><td><a [^>]*>1</a></td><td><a [^>]*>1</a></td>'
        r"<td>50.0 %</td>",
        text,
    )
    text = (
        browser(world.supervisor)
        .get("/console/dashboard/", {"period": "last_month", "organisation": world.other_org.pk})
        .text
    )
    assert re.search(
        r'<th scope="row">First response</th><td><a [^>]*>0</a></td><td><a [^>]*>0</a></td>'
        r"<td>—</td>",
        text,
    )


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"period": "last_month"},
        {"period": "7d"},
        {"period": "30d", "team": "noc"},
        {"start": "2026-10-01", "end": "2026-11-30", "organisation": "org"},
        {"period": "custom", "start": "2026-10-01", "end": "2026-11-30", "plan": "plan"},
    ],
)
def test_every_figure_links_to_the_tickets_it_counts(world, activity, filters):
    plan = Ticket.objects.values_list("plan_id", flat=True).first()
    ids = {"noc": world.noc.pk, "org": world.org.pk, "plan": plan}
    query = {k: ids.get(v, v) for k, v in filters.items()}
    sue = browser(world.supervisor)
    found = links(sue.get("/console/dashboard/", query).text)
    assert len(found) > 15 and any(n for _, n in found)
    for href, shown in found:
        listed = sue.get(href)
        assert listed.status_code == 200
        assert listed.context["total"] == shown, href
        assert len(listed.context["tickets"]) == shown, href
        assert "From the dashboard:" in listed.text  # the queue says how it is narrowed


def test_the_agents_load(world, activity):
    text = browser(world.supervisor).get("/console/dashboard/").text
    # open assigned, of which breached, due within the hour, resolved in the period, first responses in time
    alice = agent_row(text, world.agent.display_name)  # October's two are still open, one breached
    assert alice[:4] == ["4", "2", "1", "0"]
    assert alice[4].startswith("—")  # no first response of November's tickets has ended yet
    nora = agent_row(text, world.noc_agent.display_name)
    assert nora[:4] == ["0", "0", "0", "1"]
    text = browser(world.supervisor).get("/console/dashboard/", {"period": "last_month"}).text
    alice = agent_row(text, world.agent.display_name)
    assert alice[4].startswith("50.0 %") and "1 of 2" in text and "1 late" in text


def test_the_agents_table_sorts_by_a_column(world, activity):
    page = browser(world.supervisor).get("/console/dashboard/", {"sort": "-resolved"})
    names = re.findall(r'<th scope="row"><a href="/console/\?[^"]*assignee=\d+[^"]*">([^<]+)</a>', page.text)
    assert names[0] == world.noc_agent.display_name
    assert 'aria-sort="descending"><a href="?sort=resolved"' in page.text  # again: the other way
    page = browser(world.supervisor).get("/console/dashboard/", {"sort": "-open"})
    names = re.findall(r'<th scope="row"><a href="/console/\?[^"]*assignee=\d+[^"]*">([^<]+)</a>', page.text)
    assert names[0] == world.agent.display_name


def test_the_filters_stay_in_the_address_and_in_the_form(world, activity):
    page = browser(world.supervisor).get("/console/dashboard/", {"period": "7d", "team": world.noc.pk})
    assert '<option value="7d" selected>' in page.text
    assert f'<option value="{world.noc.pk}" selected>' in page.text
    assert "team=" in page.context["csv"] and "format=csv" in page.context["csv"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "forever"}, "Period:"),
        ({"start": "2026-13-01", "end": "2026-11-01"}, "From:"),
        ({"start": "2026-11-20", "end": "2026-11-01"}, "To: The end of the period comes before its start."),
        ({"period": "custom", "start": "2026-11-01"}, "To: Give both dates of the period."),
        ({"team": "999999"}, "Team:"),
        ({"organisation": "x"}, "Organisation:"),
        ({"sort": "salary"}, "Sort agents by:"),
    ],
)
def test_a_bad_filter_is_an_error_naming_the_field(world, query, message):
    page = browser(world.supervisor).get("/console/dashboard/", query)
    assert page.status_code == 400
    assert message in unescape(page.text)


def queries(user, query=None) -> int:
    client = browser(user)
    client.get("/console/dashboard/", query or {})  # the session, the first time
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/console/dashboard/", query or {}).status_code == 200
    return len(captured)


VARIANTS = [  # bench/pages.py's, and a custom period across months
    {},
    {"period": "last_month"},
    {"period": "30d"},
    {"organisation": "org"},
    {"team": "support", "sort": "-breached"},
    {"start": "2026-10-20", "end": "2026-11-30", "team": "noc", "organisation": "org"},
]


def variants(world) -> list[dict]:
    ids = {"org": world.org.pk, "support": world.support.pk, "noc": world.noc.pk}
    return [{k: ids.get(v, v) for k, v in query.items()} for query in VARIANTS]


def test_the_dashboard_takes_as_many_queries_whatever_the_agents_tickets_and_outages(world, activity):
    before = [queries(world.supervisor, query) for query in variants(world)]
    for i in range(5):
        agent = StaffFactory(username=f"agent{i}")
        agent.teams.add(world.support)
        for opened in (NOW - timedelta(hours=i + 1), NOW - timedelta(days=i + 2)):
            t = ticket(world, opened, organisation=world.other_org if i % 2 else world.org)
            assign(t, agent, world.support)
            breach(t)
        line = SubscriptionFactory(organisation=world.org, identifier=f"LU-{i + 2}")
        availability.outage_declare(
            actor=world.noc_agent,
            door="api",
            subscriptions=[line],
            started_at=datetime(2026, 11, 3 + i, 10, tzinfo=LU),
            ended_at=datetime(2026, 11, 3 + i, 11, tzinfo=LU),
            title="Down",
        )
    recompute()
    after = [queries(world.supervisor, query) for query in variants(world)]
    assert after == before
    assert max(after) <= 25  # the backlog's ages are one count each: six of them


def test_every_variant_within_a_bounded_number_of_queries_from_the_rollups_or_live(
    world, activity, django_assert_max_num_queries
):
    manager = StaffFactory(username="amelie", kind=User.Kind.ACCOUNT_MANAGER)
    world.org.account_manager = manager
    world.org.save()
    # The rows for the supervisor; live for who does not see every ticket, whose scope reads their
    # organisations once per count.
    for user, most in ((world.supervisor, 25), (manager, 30)):
        client = browser(user)
        client.get("/console/dashboard/")
        for query in variants(world):
            with django_assert_max_num_queries(most):
                assert client.get("/console/dashboard/", query).status_code == 200


def test_the_page_says_which_figures_a_team_does_not_narrow(world, activity):
    sue = browser(world.supervisor)
    note = "the team chosen does not narrow this figure"
    assert note not in sue.get("/console/dashboard/").text
    text = sue.get("/console/dashboard/", {"team": world.noc.pk}).text
    assert text.count(note) == 2  # availability and credits; the ticket figures are the team's
    assert row(text, "Opened") == "1"


def test_the_dashboard_is_for_supervisors_account_managers_and_admins(world):
    for user in (world.agent, world.billing_agent, world.customer):
        assert browser(user).get("/console/dashboard/").status_code == 403
    for user in (world.supervisor, world.admin):
        assert browser(user).get("/console/dashboard/").status_code == 200
    assert "Dashboard" not in browser(world.agent).get("/console/").text.split("</nav>")[0]


def test_an_account_manager_counts_only_the_tickets_they_may_see(world, activity):
    manager = StaffFactory(username="amelie", kind=User.Kind.ACCOUNT_MANAGER)
    world.other_org.account_manager = manager
    world.other_org.save()
    client = browser(manager)
    text = client.get("/console/dashboard/").text
    assert row(text, "Opened") == "1"  # Globex's only, not Acme's four
    for href, shown in links(text):
        assert client.get(href).context["total"] == shown, href


def test_the_dashboard_exports_what_it_shows_as_csv(world, activity):
    response = browser(world.supervisor).get("/console/dashboard/", {"format": "csv", "period": "last_month"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "chart,label,value"
    assert "tickets,Opened,2" in lines and "compliance,First response,50.0 %" in lines
    assert any(line.startswith("compliance_by_plan,") for line in lines)


def test_the_dashboard_in_french(world, activity):
    world.supervisor.language = "fr"
    world.supervisor.save()
    text = browser(world.supervisor).get("/console/dashboard/", {"period": "last_month"}).text
    assert "50,0 %" in text and "Première réponse" in text and "Charge des agents" in text
    assert "Chiffres des jours passés au 2026-11-30 12:00" in text
    assert "Disponibilité en octobre 2026" in text  # the month in words, not "2026-10"
    assert "1 sur 2" in text and "1 en retard" in text  # Alice's first responses of October
    text = browser(world.supervisor).get("/console/dashboard/", {"team": world.noc.pk}).text
    assert "l'équipe choisie ne restreint pas ce chiffre" in unescape(text)
