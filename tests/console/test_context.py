"""The context panel beside a ticket: the organisation, its people, its plan's hours now, the subscription
named, this month's availability and outages, its other open tickets and the quota — in a bounded number of
queries whatever the organisation's size."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from guichet.console.context import ticket_context
from guichet.customers.models import Contact
from guichet.plans.models import SlaPlan
from guichet.tickets import services
from guichet.tickets.selectors import ticket_get
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import ContactFactory
from tests.helpers import declare_outage

LU = ZoneInfo("Europe/Luxembourg")
TUESDAY = datetime(2026, 12, 1, 10, tzinfo=LU)  # the office plan's hours: LU Mon-Fri 08:00-18:00
SATURDAY = datetime(2026, 12, 5, 10, tzinfo=LU)


@pytest.fixture
def frozen():
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


def open_ticket(world, subject="Trunk down", subscription=None, category="incident"):
    return services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="x",
        category=category,
        subscription=subscription,
    )


def page(user, ticket) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/console/tickets/{ticket.reference}/")
    assert response.status_code == 200
    return response.text


def grow(world, n: int, tag: str) -> None:
    """n more contacts, subscriptions with an outage this month, and open tickets for the organisation."""
    for i in range(n):
        ContactFactory(organisation=world.org, user__username=f"{tag}{i}", phone=f"+352 621 00 {i:02d}")
        line = SubscriptionFactory(organisation=world.org, identifier=f"LU-{tag}{i}")
        declare_outage(world, line, TUESDAY - timedelta(hours=3), TUESDAY - timedelta(hours=2))
        open_ticket(world, f"Other {tag}{i}", category="request")


def test_the_panel_shows_the_customer_their_plan_services_and_other_tickets(world, frozen):
    SlaPlan.objects.filter(code="office").update(monthly_ticket_quota=20)
    Contact.objects.filter(user=world.customer).update(phone="+352 621 123 456")
    world.customer.time_zone, world.customer.language = "America/New_York", "fr"
    world.customer.save()
    line = SubscriptionFactory(organisation=world.org, identifier="LU-1")
    quiet = SubscriptionFactory(organisation=world.org, identifier="LU-2")
    declare_outage(world, line, TUESDAY - timedelta(hours=1), None)  # still going
    ticket = open_ticket(world, subscription=line)
    other = open_ticket(world, "Invoice question", category="request")
    context = ticket_context(world.supervisor, ticket_get(world.supervisor, ticket.reference))
    assert context.contacts[0].name == world.customer.display_name  # the requester first
    assert context.contacts[0].is_requester and context.contacts[0].phone == "+352 621 123 456"
    assert context.contacts[0].local_time.strftime("%H:%M") == "04:00"  # 10:00 in Luxembourg
    assert context.contacts[0].language == "Français"
    assert context.contacts_total == 2  # carla and colin
    assert [(h.now.open, h.runs_clocks) for h in context.hours] == [(True, True)]  # one calendar for both
    assert context.hours[0].now.closes_at == datetime(2026, 12, 1, 18, tzinfo=LU)
    assert context.subscription == line
    with translation.override("en"):  # worded when read, in the reader's language
        assert str(context.subscription_status) == "Active"
    assert context.services_total == 2
    assert [row.subscription for row in context.month.touched] == [line]  # the quiet one was fully up
    assert [o.subscriptions for o in context.month.current] == [[line]]
    assert context.other_tickets == [other] and context.other_total == 1
    assert context.quota["used"] == 2 and context.quota["quota"] == 20
    text = page(world.supervisor, ticket)
    for expected in (
        "Acme",
        "+352 621 123 456",
        "04:00 for them (America/New_York)",
        "Open now",
        "Office",
        "SIP trunk LU-1",
        "Outage now",
        other.reference,
        "2 of 20 in the plan's quota",
        "2 services in all; the others were fully available.",
    ):
        assert expected in text, expected
    assert quiet.identifier not in text.split('id="context"')[1].split("Other open tickets")[0]


def test_the_panel_costs_the_same_for_a_small_and_a_large_organisation(world, frozen):
    ticket = open_ticket(world)
    read = ticket_get(world.supervisor, ticket.reference)
    ticket_context(world.supervisor, read)  # the calendars' per-worker caches, once

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            ticket_context(world.supervisor, read)
        return len(queries)

    small = cost()
    grow(world, 15, "a")  # more contacts and tickets than the panel lists: two counts more, then no more
    large = cost()
    grow(world, 15, "b")
    larger = cost()
    assert small <= large == larger <= 10, (small, large, larger)
    assert ticket_context(world.supervisor, read).other_total == 30


def test_an_agent_sees_only_the_other_tickets_of_their_queue(world, frozen):
    incident = open_ticket(world)  # the NOC's
    request = open_ticket(world, "New user", category="request")  # support's
    alice = ticket_context(world.agent, ticket_get(world.agent, request.reference))
    assert incident not in alice.other_tickets and alice.other_total == 0
    assert "None you can see." in page(world.agent, request)


def test_the_page_reads_without_subscription_contacts_or_open_hours(world):
    with time_machine.travel(SATURDAY, tick=False):
        ticket = open_ticket(world)
        Contact.objects.filter(organisation=world.org).update(is_active=False)
        context = ticket_context(world.supervisor, ticket_get(world.supervisor, ticket.reference))
        assert context.subscription is None and context.contacts_total == 0
        assert [p.is_requester for p in context.contacts] == [True]  # the requester, a former contact
        assert not context.hours[0].now.open
        assert context.hours[0].now.next_open == datetime(2026, 12, 7, 8, tzinfo=LU)  # Monday 08:00
        text = page(world.supervisor, ticket)
    for expected in (
        "The ticket names no subscription",
        "The organisation has no active contact.",
        "Closed now",
        "opens Mon 7 Dec 07:00",  # in the viewer's zone (UTC)
        "No service subscribed.",
        "None you can see.",
        "the plan sets no quota",
    ):
        assert expected in text, expected


def test_a_calendar_open_around_the_clock_says_so(world, frozen):
    world.use_plan("advanced")  # fault-handling 24/7, support on weekdays
    ticket = open_ticket(world)
    context = ticket_context(world.supervisor, ticket_get(world.supervisor, ticket.reference))
    by_use = {str(h.uses[0]): h for h in context.hours}
    assert by_use["Fault-handling hours"].runs_clocks and by_use["Fault-handling hours"].now.closes_at is None
    assert not by_use["Support hours"].runs_clocks
    assert "around the clock" in page(world.supervisor, ticket)
