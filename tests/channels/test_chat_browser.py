"""The web chat in a real browser (Debian's Chromium, Playwright): a contact and an agent chat, each on
their own page, and each sees the other's lines appear without reloading (htmx polling)."""

import pytest
from playwright.sync_api import expect

from guichet.tickets.models import Ticket
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test writes


def test_a_contact_and_an_agent_chat_and_the_chat_becomes_a_ticket(world, signed_in):
    carla = signed_in(world.customer)
    carla.goto("/extranet/chat/")
    expect(carla.get_by_role("heading", name="Chat with support")).to_be_visible()
    carla.get_by_label("How can we help?").fill("Our SIP trunk at Site B is down")
    carla.get_by_role("button", name="Start the chat").click()
    expect(carla.locator("#transcript")).to_contain_text("Our SIP trunk at Site B is down")

    alice = signed_in(world.agent)
    alice.goto("/console/chat/")
    row = alice.get_by_role("row").filter(has_text="Acme")
    expect(row).to_contain_text("waiting")
    row.get_by_role("link").click()
    alice.get_by_label("Answer").fill("Hello Carla, I am checking the trunk")
    alice.get_by_role("button", name="Send").click()
    expect(alice.locator("#transcript")).to_contain_text("I am checking the trunk")

    # Carla's page was not reloaded: the answer arrives by polling.
    expect(carla.locator("#transcript")).to_contain_text("I am checking the trunk")
    carla.get_by_label("Your message").fill("Thank you, since 9:40")
    carla.get_by_role("button", name="Send").click()
    expect(alice.locator("#transcript")).to_contain_text("since 9:40")
    screenshot(carla, "chat-contact")

    alice.get_by_label("Category").select_option("incident")
    alice.get_by_label("Priority").select_option("high")
    alice.get_by_role("button", name="Convert into a ticket").click()
    ticket = Ticket.objects.get()
    expect(alice.locator("#chat-ticket")).to_contain_text(ticket.reference)
    expect(carla.locator("#chat-ticket")).to_contain_text(ticket.reference)
    screenshot(alice, "chat-console")
    assert ticket.messages.count() == 3 and ticket.first_response_at is not None

    carla.get_by_role("button", name="End the chat").click()
    expect(alice.locator("#chat-ended")).to_be_visible()
    expect(carla.get_by_role("heading", name="Earlier chats")).to_be_visible()
