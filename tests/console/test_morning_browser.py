"""An agent's morning in a real browser, with the keyboard where a shortcut exists: the queue, a customer's
ticket found by a word of its message, answered with a macro and taken; a call logged; an outage declared;
a held mail turned into a ticket. Screenshots at 1440 px and 768 px (test-artifacts/screenshots/), and the
keyboard's focus visible on every control it reaches."""

import pytest
from playwright.sync_api import expect

from guichet.channels.mail.services import receive
from guichet.console.models import CannedReply
from guichet.tickets import services
from guichet.tickets.models import Priority, Ticket
from tests.browser import screenshot
from tests.contracts.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)

HELD = (
    b"From: Someone <stranger@unknown.example>\r\nTo: support@guichet.example\r\n"
    b"Subject: Fax broken again\r\nMessage-ID: <morning.1@unknown.example>\r\n\r\n"
    b"Carla here, from my home address: the fax is broken again.\r\n"
)
WIDE, TABLET = {"width": 1440, "height": 900}, {"width": 768, "height": 1024}


def both_widths(page, name: str) -> None:
    for label, size in (("1440", WIDE), ("768", TABLET)):
        page.set_viewport_size(size)
        screenshot(page, f"morning-{name}-{label}")
    page.set_viewport_size(WIDE)


def focus_is_visible(page) -> bool:
    """The focused element draws an outline (the style sheet's :focus-visible) or a box shadow."""
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
                   return outlined || s.boxShadow !== 'none'; }"""
    )


@pytest.fixture
def morning(world):
    world.customer.first_name, world.customer.last_name = "Carla", "Lopes"
    world.customer.save()
    contact = world.customer.contact
    contact.phone = "+352 621 123 456"
    contact.save()
    SubscriptionFactory(organisation=world.org, identifier="LU-TRUNK-1")
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Calls cut off",
        description="Our SIP trunk drops every call after ten minutes since Monday.",
        category="incident",
    )
    CannedReply.objects.create(
        title="Investigating",
        body="Hello {{customer_name}}, we are investigating {{ticket_reference}} now.",
        set_priority=Priority.HIGH,
    )
    receive(HELD)
    return ticket


def test_an_agents_morning(world, signed_in, morning):
    nora = signed_in(world.noc_agent)  # the NOC: incidents, outages, held mail
    nora.set_viewport_size(WIDE)
    expect(nora.locator("#queue")).to_contain_text(morning.reference)
    nora.keyboard.press("Tab")
    assert focus_is_visible(nora)
    both_widths(nora, "queue")

    # a word of the customer's message, from the search box "/" reaches
    nora.keyboard.press("Escape")
    nora.locator("body").click(position={"x": 5, "y": 300})
    nora.keyboard.press("/")
    expect(nora.locator("#top_q")).to_be_focused()
    nora.keyboard.type("drops")
    nora.keyboard.press("Enter")
    expect(nora.locator("main mark").first).to_have_text("drops")
    both_widths(nora, "search")
    nora.get_by_role("link", name=morning.reference).first.click()

    # answered with a macro (its text filled for the ticket), then taken with "a"
    nora.get_by_label("Canned reply or macro").select_option(label="Investigating (macro)")
    expect(nora.locator("#id_body")).to_have_value(
        f"Hello Carla Lopes, we are investigating {morning.reference} now."
    )
    nora.get_by_role("button", name="Send with the chosen canned reply or macro").click()
    expect(nora.locator(".transcript")).to_contain_text("we are investigating")
    nora.locator("body").click(position={"x": 5, "y": 5})
    nora.keyboard.press("a")
    expect(nora.locator("#ticket-main")).to_contain_text("nora")
    both_widths(nora, "ticket")
    morning.refresh_from_db()
    assert (morning.priority, morning.assignee) == (Priority.HIGH, world.noc_agent)

    # a call
    nora.get_by_role("link", name="Calls").click()
    nora.get_by_label("Caller's number").first.fill("00352621123456")
    nora.keyboard.press("Enter")
    expect(nora.locator("#caller")).to_contain_text("Acme")
    nora.get_by_label("Duration (minutes)").fill("3")
    nora.get_by_label("What the call was about").fill("Asks when the trunk is fixed")
    nora.get_by_role("button", name="Log the call").click()
    expect(nora.locator(".notices")).to_contain_text("Call logged in")

    # an outage
    nora.get_by_role("link", name="Outages").click()
    nora.get_by_label("Services affected (their identifiers, one a line)").fill("LU-TRUNK-1")
    nora.get_by_label("Title").fill("SIP trunk cutting calls")
    nora.get_by_role("button", name="Declare").click()
    expect(nora.locator(".notices")).to_contain_text("Outage declared.")
    both_widths(nora, "outage")

    # a held mail, into a ticket for the contact who wrote it from home
    nora.get_by_role("link", name="Held mail").click()
    nora.get_by_role("link", name="Fax broken again").click()
    nora.get_by_label("For the contact (e-mail address)").fill(world.customer.email)
    nora.get_by_role("button", name="Open the ticket").click()
    expect(nora.locator(".notices")).to_contain_text("opened from the mail")
    both_widths(nora, "held-mail")
    assert Ticket.objects.filter(subject="Fax broken again", requester=world.customer).exists()
