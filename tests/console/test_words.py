"""The console speaks as people do: clock badges on the ticket page and in the queue, the history in
sentences; no seconds, snake_case names or event codes anywhere on the page, in English or French."""

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from guichet.tickets import escalation, services
from guichet.tickets.models import Category

LU = ZoneInfo("Europe/Luxembourg")
FRIDAY = datetime(2026, 11, 27, 16, tzinfo=LU)
MONDAY = datetime(2026, 11, 30, 10, 35, tzinfo=LU)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def browser(user, language="en") -> Client:
    user.language, user.time_zone = language, "Europe/Luxembourg"
    user.save()
    client = Client()
    client.force_login(user)
    return client


def incident(world, subject="Trunk down"):
    return services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="No calls",
        category=Category.INCIDENT,
    )


def visible_text(page: str) -> str:
    """What a person reads: the page without its scripts, styles, tags and attributes."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def a_busy_ticket(world, clock):
    """Opened Friday 16:00; the first answer came late on Monday (breached), a note, a change of team, the
    breach sweep's event; then it waits for the customer (paused)."""
    ticket = incident(world)
    clock.move_to(MONDAY)
    escalation.breach(MONDAY)
    services.ticket_reply(actor=world.agent, door="web", ticket=ticket, body="Checking", internal=True)
    services.ticket_reply(actor=world.noc_agent, door="email", ticket=ticket, body="On it")
    services.ticket_change(
        actor=world.supervisor,
        door="web",
        ticket=ticket,
        expected_version=None,
        team=world.noc,
        priority="high",
    )
    services.ticket_change(
        actor=world.noc_agent, door="web", ticket=ticket, expected_version=None, status="pending_customer"
    )
    clock.shift(timedelta(minutes=25))
    return ticket


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_ticket_page_shows_no_seconds_no_snake_case_and_no_codes(world, clock, language):
    ticket = a_busy_ticket(world, clock)
    page = browser(world.supervisor, language).get(f"/console/tickets/{ticket.reference}/").text
    text = re.sub(r"\S+@\S+", "", visible_text(page))  # the context panel's addresses are what they are
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == []  # first_response, pending_customer, …
    assert re.findall(r"\b[a-z]+\.[a-z_]+\b", text) == []  # ticket.changed, sla.breached, …
    assert re.findall(r"\d\s*s\b|\bseconds?\b|\bsecondes?\b", text) == []
    assert "14400" not in text


def test_the_ticket_page_shows_badges_with_their_explanation_and_the_history(world, clock):
    ticket = a_busy_ticket(world, clock)
    page = browser(world.supervisor).get(f"/console/tickets/{ticket.reference}/").text
    late = "breached: done at 10:35, 35 min after its due time"
    assert f'<strong>First response</strong> <span class="badge badge-breached">{late}</span>' in page
    assert '<span class="badge badge-paused">paused — waiting for the customer</span>' in page
    assert "<summary>How this is counted</summary>" in page and "114 % of the target used" in page
    assert "The first response clock was breached" in page  # internal: staff see it
    assert "nora replied by email" in page and "sue raised the priority to High" in page
    assert "sue assigned the ticket to the NOC team" in page
    assert "alice added an internal note" in page
    french = browser(world.supervisor, "fr").get(f"/console/tickets/{ticket.reference}/").text
    assert "dépassé : fait à 10:35, 35 min après l&#x27;échéance" in french
    assert "en pause — en attente du client" in french and "Première réponse" in french
    assert "sue a confié le ticket à l&#x27;équipe NOC" in french
    assert "114 % de l'objectif utilisé" in french and "<summary>Mode de calcul</summary>" in french


def test_the_extranet_ticket_page_speaks_to_the_customer(world, clock):
    ticket = a_busy_ticket(world, clock)
    page = browser(world.customer).get(f"/extranet/tickets/{ticket.reference}/").text
    assert '<span class="badge badge-paused">paused — waiting for your answer</span>' in page
    assert "nora replied by email" in page
    assert "internal note" not in page and "was breached" not in page  # internal events are for staff
    text = visible_text(page)
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == [] and re.findall(r"\d\s*s\b", text) == []


def test_the_queue_shows_the_next_due_clock_as_a_badge(world, clock):
    late = incident(world)
    clock.move_to(MONDAY)
    fresh = incident(world, "Another")
    page = browser(world.supervisor).get("/console/").text
    assert '<span class="badge badge-breached">breached 35 min ago</span>' in page  # business time
    assert '<span class="badge badge-ok">4 h left</span>' in page
    assert late.reference in page and fresh.reference in page
    french = browser(world.supervisor, "fr").get("/console/").text
    assert "dépassé depuis 35 min" in french and "il reste 4 h" in french


def test_the_queue_costs_the_same_whatever_its_length(world, clock):
    sue = browser(world.supervisor)

    def queries() -> int:
        """The queries of one request to the queue, as the connection runs them."""
        sue.get("/console/")  # the calendars are then in the worker's cache
        seen = []

        def count(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert sue.get("/console/").status_code == 200
        return len(seen)

    incident(world)
    one = queries()
    for n in range(30):
        incident(world, f"Ticket {n}")
    # 8 before the badges; their clocks are one more, the staff a bulk action may assign to another
    assert queries() == one == 10
