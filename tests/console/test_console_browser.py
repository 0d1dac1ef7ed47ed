"""In a real browser: an agent opens the queue, answers a ticket with the keyboard, and the first-response
clock stops."""

import pytest
from playwright.sync_api import expect

from guichet.tickets import services
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_answers_and_the_first_response_clock_stops(world, signed_in):
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="New user for Site B",
        description="Please create a SIP account",
    )
    alice = signed_in(world.agent)  # the sign-in lands on her queue
    expect(alice.locator("#queue")).to_contain_text(ticket.reference)
    alice.get_by_role("link", name=ticket.reference).click()
    expect(alice.locator("#clock-first_response")).to_contain_text("First response")
    expect(alice.locator("#clock-first_response .badge-ok")).to_contain_text("4 h left")
    status = alice.evaluate("fetch('/static/console.js').then(r => r.status)")  # served by the app
    assert status == 200, status
    alice.keyboard.press("r")  # the shortcut to the message box
    expect(alice.get_by_label("Message")).to_be_focused()
    alice.keyboard.type("Done: the account is created.")
    alice.get_by_role("button", name="Send the reply").click()
    expect(alice.locator("#clock-first_response .badge-met")).to_contain_text("before its due time")
    expect(alice.locator(".transcript")).to_contain_text("Done: the account is created.")
    screenshot(alice, "console-ticket")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_a_supervisor_drills_down_from_the_dashboard_to_the_tickets_behind_a_figure(world, signed_in):
    services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Open",
        description="x",
    )
    sue = signed_in(world.supervisor)
    for width, height in ((1440, 900), (768, 1024)):
        sue.set_viewport_size({"width": width, "height": height})
        sue.goto("/console/dashboard/")
        for chart in ("tickets", "backlog", "compliance", "availability", "credits"):
            expect(sue.locator(f"#chart-{chart} h2")).to_be_visible()
        expect(sue.locator("#chart-backlog svg rect")).to_have_count(5)
        expect(sue.locator("#chart-backlog")).to_contain_text("Less than a day")
        expect(sue.locator("#agents")).to_contain_text(world.agent.display_name)
        screenshot(sue, f"console-dashboard-{width}")
    # With the keyboard: to the backlog's first figure, then Enter: the queue of exactly that ticket.
    figure = sue.locator("#chart-backlog table a").first
    expect(figure).to_have_text("1")
    figure.focus()
    sue.keyboard.press("Enter")
    expect(sue.locator("h1")).to_contain_text("(1)")
    expect(sue.locator("#queue tbody tr")).to_have_count(1)
    expect(sue.locator("#queue")).to_contain_text("Open")
