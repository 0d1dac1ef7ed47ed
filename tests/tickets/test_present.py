"""Clocks as people read them (tickets/present.py): every state worded in English and French, in business
time counted in the plan's calendar (Office: Luxembourg, Mon-Fri 08:00-18:00; first response 4 h,
intervention 8 h, resolution 10 h), never a wall-clock difference across a closed night or weekend."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from guichet.money.intervals import format_duration
from guichet.tickets import services
from guichet.tickets.models import Category
from guichet.tickets.present import clock_badges, duration, next_due_badges

LU = ZoneInfo("Europe/Luxembourg")


def lu(*args):
    return datetime(*args, tzinfo=LU)


FRIDAY, MONDAY = lu(2026, 11, 27, 16), lu(2026, 11, 30, 8)


@pytest.fixture
def clock():
    """The frozen clock, in the reader's zone (Luxembourg)."""
    with time_machine.travel(MONDAY, tick=False) as traveller, timezone.override(LU):
        yield traveller


def opened(world, at, category=Category.INCIDENT, subject="Lines down", clock=None):
    """A high-priority incident opened at ``at`` (the clock moved there first when it is later)."""
    if clock is not None and at > timezone.now():
        clock.move_to(at)
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="All our SIP trunks are down.",
        category=category,
        priority="high",
        opened_at=at,
    )


def badges(ticket, *, customer=False, language="en"):
    with translation.override(language):
        return {b.clock: b for b in clock_badges(ticket, timezone.now(), customer=customer)}


def first(ticket, **kw):
    return badges(ticket, **kw)["first_response"]


def test_durations_read_in_hours_and_minutes():
    read = [format_duration(s, minutes=True) for s in (10800, 7530, 2700, 0)]
    assert read == ["3 h", "2 h 05 min", "45 min", "0 min"]
    assert format_duration(5400) == "1 h 30 min"  # the invoices' form is unchanged
    assert duration(59) == "0 min" and duration(59, up=True) == "1 min"  # time left never reads 0 min
    assert duration(-30) == "0 min"


def test_a_running_clock_says_the_business_time_left(world, clock):
    ticket = opened(world, MONDAY + timedelta(hours=1), clock=clock)  # Monday 09:00
    clock.move_to(lu(2026, 11, 30, 10, 50))
    badge = first(ticket)
    assert (badge.label, badge.text, badge.state) == ("First response", "2 h 10 min left", "ok")
    assert badge.used_percent == 45
    french = first(ticket, language="fr")
    assert (french.label, french.text) == ("Première réponse", "il reste 2 h 10 min")


def test_past_three_quarters_of_the_target_the_badge_warns(world, clock):
    ticket = opened(world, MONDAY + timedelta(hours=1), clock=clock)
    clock.move_to(lu(2026, 11, 30, 12))  # 3 h of 4: exactly 75 %, not more
    assert (first(ticket).state, first(ticket).text) == ("ok", "1 h left")
    clock.move_to(lu(2026, 11, 30, 12, 10))
    badge = first(ticket)
    assert (badge.state, badge.text, badge.used_percent) == ("warning", "50 min left", 79)
    assert first(ticket, language="fr").text == "il reste 50 min"


def test_time_left_counts_only_open_hours_across_the_weekend(world, clock):
    ticket = opened(
        world, FRIDAY, clock=clock
    )  # Friday 16:00: 2 h on Friday, the weekend closed, 2 h on Monday
    clock.move_to(lu(2026, 11, 30, 9))  # 65 hours later on the wall clock, 3 business hours used
    badge = first(ticket)
    assert (badge.text, badge.state) == ("1 h left", "ok")
    assert badge.due == lu(2026, 11, 30, 10)
    resolution = badges(ticket)["resolution"]
    assert (resolution.label, resolution.text) == ("Resolution", "7 h left")


def test_time_left_counts_only_open_hours_across_a_closed_night(world, clock):
    ticket = opened(world, lu(2026, 11, 30, 17), clock=clock)  # Monday 17:00: 1 h that evening
    clock.move_to(lu(2026, 12, 1, 9, 30))  # Tuesday 09:30: 1 h 30 min more
    assert first(ticket).text == "1 h 30 min left"


def test_a_breached_clock_says_how_long_ago_in_business_time(world, clock):
    ticket = opened(world, FRIDAY, clock=clock)  # due Monday 10:00
    clock.move_to(lu(2026, 11, 30, 10, 35))
    badge = first(ticket)
    assert (badge.text, badge.state, badge.used_percent) == ("breached 35 min ago", "breached", 114)
    assert badge.meter == 100
    assert first(ticket, language="fr").text == "dépassé depuis 35 min"
    clock.move_to(lu(2026, 12, 1, 8, 5))  # the night does not count: 8 h on Monday, 5 min on Tuesday
    assert first(ticket).text == "breached 8 h 05 min ago"


def test_a_met_clock_says_when_and_how_much_time_it_had_to_spare(world, clock):
    ticket = opened(world, MONDAY, clock=clock)  # first answer due at 12:00
    clock.move_to(lu(2026, 11, 30, 12, 30))
    services.ticket_reply(
        actor=world.agent,
        door="api",
        ticket=ticket,
        body="On it",
        at=lu(2026, 11, 30, 9, 42),
        can_import=True,
    )
    clock.move_to(lu(2026, 11, 30, 12, 30))
    badge = first(ticket)
    assert (badge.text, badge.state) == ("met at 09:42, 2 h 18 min before its due time", "met")
    assert first(ticket, language="fr").text == "respecté à 09:42, 2 h 18 min avant l'échéance"
    clock.move_to(lu(2026, 12, 1, 9))  # the next day, the date is said too
    assert first(ticket).text == "met on 2026-11-30 at 09:42, 2 h 18 min before its due time"
    assert first(ticket, language="fr").text == (
        "respecté le 2026-11-30 à 09:42, 2 h 18 min avant l'échéance"
    )


def test_a_clock_met_late_says_when_and_how_late(world, clock):
    ticket = opened(world, FRIDAY, clock=clock)  # due Monday 10:00
    clock.move_to(lu(2026, 11, 30, 10, 35))
    services.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="Sorry, on it")
    clock.move_to(lu(2026, 11, 30, 11))
    badge = first(ticket)
    assert (badge.text, badge.state) == ("breached: done at 10:35, 35 min after its due time", "breached")
    assert first(ticket, language="fr").text == "dépassé : fait à 10:35, 35 min après l'échéance"


def test_a_paused_clock_says_whom_it_waits_for(world, clock):
    ticket = opened(world, MONDAY, clock=clock)
    clock.move_to(lu(2026, 11, 30, 9))
    services.ticket_change(
        actor=world.agent, door="api", ticket=ticket, expected_version=None, status="pending_customer"
    )
    clock.move_to(lu(2026, 11, 30, 15))
    badge = first(ticket)
    assert (badge.text, badge.state, badge.used_percent) == (
        "paused — waiting for the customer",
        "paused",
        25,
    )
    assert first(ticket, customer=True).text == "paused — waiting for your answer"
    assert first(ticket, language="fr").text == "en pause — en attente du client"
    assert first(ticket, customer=True, language="fr").text == "en pause — en attente de votre réponse"
    explained = badge.explanation
    assert (explained.target, explained.used) == ("4 h", "1 h")
    assert [s.counted for s in explained.segments] == ["1 h"]


def test_a_clock_breached_then_paused_says_both(world, clock):
    ticket = opened(world, FRIDAY, clock=clock)  # due Monday 10:00
    clock.move_to(lu(2026, 11, 30, 10, 20))
    services.ticket_change(
        actor=world.agent, door="api", ticket=ticket, expected_version=None, status="pending_customer"
    )
    clock.move_to(lu(2026, 11, 30, 15))
    badge = first(ticket)
    assert (badge.text, badge.state) == ("breached by 20 min — paused, waiting for the customer", "breached")
    assert first(ticket, language="fr").text == "dépassé de 20 min — en pause, en attente du client"


def test_a_clock_ended_by_a_merge_says_so(world, clock):
    keep = opened(world, MONDAY, subject="Trunk down", clock=clock)
    dup = opened(world, MONDAY + timedelta(hours=1), subject="Trunk down too", clock=clock)
    clock.move_to(lu(2026, 11, 30, 10))
    services.ticket_merge(actor=world.supervisor, door="api", ticket=dup, into=keep)
    badge = first(dup)
    assert (badge.text, badge.state) == ("ended by the merge", "merged")
    assert first(dup, language="fr").text == "arrêté par la fusion"


def test_the_clocks_come_in_their_usual_order_with_their_explanation(world, clock):
    ticket = opened(world, FRIDAY, clock=clock)
    clock.move_to(lu(2026, 11, 30, 9))
    with translation.override("en"):
        found = clock_badges(ticket, timezone.now())
    assert [b.label for b in found] == ["First response", "Intervention", "Resolution"]
    explained = found[0].explanation
    assert explained.hours == "Mon-Fri 08:00-18:00" and explained.time_zone == "Europe/Luxembourg"
    assert [(s.start, s.end, s.counted) for s in explained.segments] == [(FRIDAY, None, "3 h")]
    assert explained.pauses == []
    with translation.override("fr"):
        assert [b.label for b in clock_badges(ticket, timezone.now())][2] == "Résolution"


def test_a_request_outside_the_sla_has_no_badge(world, clock):
    ticket = opened(world, MONDAY, category=Category.TECHNICAL_SERVICE, clock=clock)
    assert clock_badges(ticket, timezone.now()) == []
    assert next_due_badges([ticket.pk], timezone.now()) == {}


def test_the_queue_shows_each_tickets_next_due_clock_in_one_query(world, clock, django_assert_num_queries):
    late = opened(world, FRIDAY, clock=clock)
    fresh = opened(world, MONDAY, subject="Another", clock=clock)
    waiting = opened(world, MONDAY, subject="Waiting", clock=clock)
    clock.move_to(lu(2026, 11, 30, 10, 35))
    services.ticket_change(
        actor=world.agent, door="api", ticket=waiting, expected_version=None, status="pending_customer"
    )
    services.ticket_reply(actor=world.agent, door="api", ticket=fresh, body="Looking")
    next_due_badges([late.pk], timezone.now())  # a worker keeps the calendar rows (plans.selectors)
    with django_assert_num_queries(1), translation.override("en"):
        found = next_due_badges([late.pk, fresh.pk, waiting.pk], timezone.now())
    assert (found[late.pk].label, found[late.pk].text) == ("First response", "breached 35 min ago")
    # First response met: the intervention (8 h) falls due next.
    assert (found[fresh.pk].label, found[fresh.pk].text) == ("Intervention", "5 h 25 min left")
    assert (found[waiting.pk].label, found[waiting.pk].state) == ("First response", "paused")
