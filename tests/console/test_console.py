"""The console: the queue by SLA urgency with filters, counts and saved views; the ticket view's acts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.console.models import CannedReply
from guichet.tickets import services
from guichet.tickets.models import Clock, ClockState, Ticket
from tests.helpers import signed_in as browser

LU = ZoneInfo("Europe/Luxembourg")
MONDAY = datetime(2026, 11, 30, 9, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def open_ticket(world, subject, category="request", priority="medium", org=None):
    org = org or world.org
    requester = world.customer if org == world.org else world.foreigner
    return services.ticket_create(
        actor=requester,
        door="api",
        organisation=org,
        requester=requester,
        subject=subject,
        description="x",
        category=category,
        priority=priority,
    )


def test_the_queue_lists_tickets_by_urgency_with_filters_and_counts(world, frozen):
    urgent = open_ticket(world, "Everything down", priority="urgent")  # Office: the same targets for all
    frozen.shift(timedelta(minutes=5))
    slow = open_ticket(world, "Question", priority="low")
    theirs = open_ticket(world, "Globex request", org=world.other_org)
    sue = browser(world.supervisor)
    page = sue.get("/console/").text
    order = [page.index(t.reference) for t in (urgent, slow)]
    assert order == sorted(order)  # the first due first
    assert "(3)" in page and theirs.reference in page
    filtered = sue.get("/console/", {"organisation": world.other_org.pk}).text
    assert theirs.reference in filtered and slow.reference not in filtered and "(1)" in filtered
    assert urgent.reference in sue.get("/console/", {"priority": "urgent"}).text
    assert slow.reference not in sue.get("/console/", {"priority": "urgent"}).text


def test_the_queue_page_costs_the_same_whatever_its_length(world, django_assert_max_num_queries):
    for n in range(30):
        open_ticket(world, f"Ticket {n}")
    sue = browser(world.supervisor)
    sue.get("/console/")
    with django_assert_max_num_queries(12):
        assert sue.get("/console/").status_code == 200


def test_an_agent_sees_only_their_queue_and_overdue_tickets_stand_out(world, frozen):
    incident = open_ticket(world, "Trunk down", category="incident")  # to the NOC team
    request = open_ticket(world, "New user")  # to support
    alice = browser(world.agent)  # support
    page = alice.get("/console/").text
    assert request.reference in page and incident.reference not in page
    frozen.shift(timedelta(days=3))
    assert 'class="overdue"' in alice.get("/console/").text
    assert alice.get(f"/console/tickets/{incident.reference}/").status_code == 404


def test_saved_views_bring_back_their_filters(world):
    sue = browser(world.supervisor)
    saved = sue.post("/console/views", {"name": "Urgent", "query": "priority=urgent"})
    assert saved.status_code == 302 and saved["Location"] == "/console/?priority=urgent"
    assert (
        '<a href="?priority=urgent">Urgent <span class="badge neutral">0</span></a>'
        in sue.get("/console/").text
    )
    assert world.supervisor.saved_views.get().query == "priority=urgent"


def test_replying_meets_the_first_response_and_a_note_does_not(world, frozen):
    ticket = open_ticket(world, "New user")
    CannedReply.objects.create(title="Looking", body="We are looking into it.")
    alice = browser(world.agent)
    path = f"/console/tickets/{ticket.reference}/"
    assert ">Looking</option>" in alice.get(path).text  # the canned replies are offered
    alice.post(path + "reply", {"body": "Checking our logs", "internal": "1"})
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    frozen.shift(timedelta(minutes=30))
    alice.post(path + "reply", {"body": "We are looking into it.", "internal": "0"})
    ticket.refresh_from_db()
    assert ticket.first_response_at == MONDAY + timedelta(minutes=30)
    assert ticket.clocks.get(clock=Clock.FIRST_RESPONSE).state == ClockState.MET
    page = alice.get(path).text
    assert "internal note" in page and "Checking our logs" in page


def test_status_priority_assignment_intervention_and_merge(world):
    ticket = open_ticket(world, "Trunk down", category="incident")
    other = open_ticket(world, "Trunk down again", category="incident")
    nora = browser(world.noc_agent)
    path = f"/console/tickets/{ticket.reference}/"
    nora.post(path + "change", {"version": ticket.version, "priority": "high", "assignee": "me"})
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == ("high", world.noc_agent)
    stale = nora.post(path + "change", {"version": 1, "priority": "low"}, follow=True)
    assert "changed since" in stale.text  # a stale form is refused, nothing lost
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    nora.post(path + "intervention", {"version": ticket.version})
    ticket.refresh_from_db()
    assert ticket.intervention_started_at is not None
    nora.post(f"/console/tickets/{other.reference}/merge", {"into": ticket.reference})
    other.refresh_from_db()
    assert other.merged_into == ticket
    wrong = nora.post(path + "merge", {"into": "GT-2099-000001"}, follow=True)
    assert "No ticket GT-2099-000001 you can see." in wrong.text


def test_customers_cannot_reach_the_console(world):
    ticket = open_ticket(world, "Mine")
    carla = browser(world.customer)
    assert carla.get("/console/").status_code == 403
    assert carla.get(f"/console/tickets/{ticket.reference}/").status_code == 403
    assert (
        carla.post(f"/console/tickets/{ticket.reference}/reply", {"body": "x", "internal": "1"}).status_code
        == 403
    )
    assert Ticket.objects.get().messages.count() == 1


def test_a_quote_is_sent_from_the_console_and_accepted_in_the_extranet(world):
    ticket = open_ticket(world, "Bulk import of 500 numbers", category="technical_service")
    sue = browser(world.supervisor)
    path = f"/console/tickets/{ticket.reference}/"
    assert "Send the quote" in sue.get(path).text
    bad = sue.post(path + "quote", {"amount": "lots"}, follow=True)
    assert "amount: Give the price" in bad.text
    sue.post(path + "quote", {"amount": "150,00", "currency": "EUR", "description": "Import and checks"})
    quote = ticket.quotes.get()
    assert str(quote.amount) == "150.00"
    carla = browser(world.customer)
    page = carla.get(f"/extranet/tickets/{ticket.reference}/").text
    assert "150.00 EUR" in page and "Accept the quote" in page
    carla.post(f"/extranet/tickets/{ticket.reference}/quotes/{quote.pk}", {"decision": "accept"})
    quote.refresh_from_db()
    ticket.refresh_from_db()
    assert quote.status == "accepted" and ticket.status == "open"
    from guichet.customers.models import BackOfficeRequest

    assert BackOfficeRequest.objects.get().kind == "quote"  # the back office plans the work by D+1
    spy = browser(world.foreigner)
    assert (
        spy.post(
            f"/extranet/tickets/{ticket.reference}/quotes/{quote.pk}", {"decision": "refuse"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(("field", "value"), [("assignee", "999999"), ("team", "999999"), ("assignee", "x")])
def test_an_unknown_assignee_or_team_is_refused_by_name_and_changes_nothing(world, field, value):
    ticket = open_ticket(world, "Trunk down", category="incident")
    ticket = services.ticket_change(
        actor=world.supervisor, door="web", ticket=ticket, expected_version=1, assignee=world.agent
    )
    sue = browser(world.supervisor)
    path = f"/console/tickets/{ticket.reference}/"
    page = sue.post(path + "change", {"version": ticket.version, field: value}, follow=True)
    assert f"{field}: " in page.text and "Ticket updated." not in page.text
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.version) == (world.agent, world.noc, 2)
