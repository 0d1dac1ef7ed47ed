"""In a real browser: the queue with the keyboard (j / k / o, ? for the list), a ticket appearing in the queue
without a reload, a canned reply filled for the ticket, and two agents seeing each other on one ticket."""

import pytest
from playwright.sync_api import expect

from guichet.console.models import CannedReply
from guichet.tickets import services
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def open_ticket(world, subject):
    return services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="x",
    )


def test_the_queue_with_the_keyboard_and_a_new_ticket_without_a_reload(world, signed_in):
    first = open_ticket(world, "Line down in Site A")
    open_ticket(world, "Fax broken")
    sue = signed_in(world.supervisor)
    sue.goto("/console/")
    sue.evaluate("document.querySelector('#queue').dataset.every = '300'")  # poll fast for the test
    sue.keyboard.press("?")
    expect(sue.locator("#shortcuts")).to_have_attribute("open", "")
    sue.keyboard.press("?")
    sue.keyboard.press("j")
    expect(sue.locator("#queue tbody tr.current")).to_contain_text(first.reference)
    sue.keyboard.press("j")
    sue.keyboard.press("k")
    expect(sue.locator("#queue tbody tr.current")).to_contain_text(first.reference)
    # The test's own write must not meet a request of the page (the live server shares the test's in-memory
    # database connection): a ticked ticket pauses the poller, the write happens, the tick goes.
    pick = sue.locator("#queue tbody tr").first.locator("input[type=checkbox]")
    pick.check()
    sue.wait_for_load_state("networkidle")
    late = open_ticket(world, "Email bouncing since this morning")
    pick.uncheck()
    expect(sue.locator("#queue")).to_contain_text(late.reference, timeout=15_000)
    expect(sue.locator("#queue tr.fresh")).to_contain_text(late.reference)
    expect(sue.locator("#queue-live-status")).to_contain_text("new or changed")
    screenshot(sue, "console-queue-live")
    sue.keyboard.press("o")  # the row the keyboard was on stayed the current one through the refresh
    expect(sue).to_have_url(f"{sue.url.split('/console/')[0]}/console/tickets/{first.reference}/")


def test_a_canned_reply_is_filled_for_the_ticket_and_two_agents_see_each_other(world, signed_in):
    world.customer.first_name, world.customer.last_name = "Carla", "Lopes"
    world.customer.save()
    ticket = open_ticket(world, "SIP trunk down")
    CannedReply.objects.create(
        title="Acknowledge", body="Hello {{customer_name}}, we are on {{ticket_reference}}."
    )
    alice = signed_in(world.agent)
    alice.goto(f"/console/tickets/{ticket.reference}/")
    alice.get_by_label("Canned reply or macro").select_option(label="Acknowledge")
    expect(alice.locator("#id_body")).to_have_value(f"Hello Carla Lopes, we are on {ticket.reference}.")
    alice.locator("#id_body").press("End")
    alice.keyboard.type(" More soon.")  # typing: she is writing an answer
    sue = signed_in(world.supervisor)
    sue.goto(f"/console/tickets/{ticket.reference}/")
    expect(sue.locator("#presence")).to_contain_text("is writing an answer", timeout=20_000)
    screenshot(sue, "console-ticket-presence")
    alice.get_by_role("button", name="Send the reply").click()
    expect(alice.locator(".transcript")).to_contain_text("we are on")
