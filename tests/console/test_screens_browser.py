"""In a real browser: an agent logs a call and turns a held mail into a ticket; the NOC declares an outage."""

import pytest
from playwright.sync_api import expect

from guichet.channels.mail.services import receive
from guichet.tickets.models import Ticket
from tests.browser import screenshot
from tests.contracts.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)

STRANGER = (
    b"From: Someone <stranger@unknown.example>\r\nTo: support@guichet.example\r\n"
    b"Subject: Fax broken again\r\nMessage-ID: <browser.1@unknown.example>\r\n\r\n"
    b"Carla here, from my home address: the fax is broken again.\r\n"
)


def test_an_agent_logs_a_call_into_a_new_ticket(world, signed_in):
    contact = world.customer.contact
    contact.phone = "+352 621 123 456"
    contact.save()
    alice = signed_in(world.agent)
    alice.get_by_role("link", name="Calls").click()
    alice.get_by_label("Caller's number").first.fill("00352621123456")
    alice.keyboard.press("Enter")
    expect(alice.locator("#caller")).to_contain_text("Acme")
    expect(alice.locator("#caller")).to_contain_text("Priority")
    alice.get_by_label("Duration (minutes)").fill("4")
    alice.get_by_label("What the call was about").fill("Printer offline since this morning")
    screenshot(alice, "console-call")
    alice.get_by_role("button", name="Log the call").click()
    expect(alice.locator(".notices")).to_contain_text("Call logged in")
    assert Ticket.objects.get().channel == "phone"


def test_the_noc_declares_an_outage(world, signed_in):
    SubscriptionFactory(organisation=world.org, identifier="LU-TRUNK-1")
    nora = signed_in(world.noc_agent)
    nora.get_by_role("link", name="Outages").click()
    nora.get_by_label("Services affected (their identifiers, one a line)").fill("LU-TRUNK-1")
    nora.get_by_label("Title").fill("Trunk down")
    nora.get_by_role("button", name="Declare").click()  # its start: now, filled in
    expect(nora.locator(".notices")).to_contain_text("Outage declared.")
    expect(nora.locator("#outage-end")).to_contain_text("still going")
    screenshot(nora, "console-outage")


def test_an_agent_turns_a_held_mail_into_a_ticket(world, signed_in):
    receive(STRANGER)
    alice = signed_in(world.agent)
    alice.get_by_role("link", name="Held mail").click()
    alice.get_by_role("link", name="Fax broken again").click()
    expect(alice.locator("#mail-text")).to_contain_text("the fax is broken again")
    alice.get_by_label("For the contact (e-mail address)").fill(world.customer.email)
    screenshot(alice, "console-held-mail")
    alice.get_by_role("button", name="Open the ticket").click()
    expect(alice.locator(".notices")).to_contain_text("opened from the mail")
    assert Ticket.objects.get().requester == world.customer
