"""In a real browser, at a desktop's 1440 px and a tablet's 768 px: the queue uses the whole width with one
line per ticket, and the ticket's side column (properties, actions, context) sits beside the conversation
on the desktop and below it on the tablet. Screenshots of each are kept as test artefacts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guichet.customers.models import Contact
from guichet.tickets import services
from tests.browser import screenshot
from tests.contracts.factories import SubscriptionFactory
from tests.helpers import declare_outage

pytestmark = pytest.mark.django_db(transaction=True)

LONG = (
    "Calls to the Luxembourg numbers drop after thirty seconds on the second SIP trunk since this "
    "morning's maintenance, and the fax line answers with a busy tone"
)
DESKTOP = {"width": 1440, "height": 900}
TABLET = {"width": 768, "height": 1024}


def box(page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


@pytest.fixture
def busy(world):
    """Acme with a line that is down now, a colleague with a phone, and a few open tickets."""
    Contact.objects.filter(user=world.customer).update(phone="+352 621 123 456")
    line = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    declare_outage(world, line, timezone.now() - timedelta(minutes=40), None)
    tickets = [
        services.ticket_create(
            actor=world.customer,
            door="api",
            organisation=world.org,
            requester=world.customer,
            subject=subject,
            description="The second trunk drops calls.\n\nCould you look at it today?",
            category=category,
            subscription=line,
        )
        for subject, category in ((LONG, "request"), ("New user for Site B", "request"), ("Fax", "request"))
    ]
    return tickets[0]


def test_the_queue_uses_the_whole_width_with_one_line_per_ticket(world, signed_in, busy):
    alice = signed_in(world.agent)
    alice.set_viewport_size(DESKTOP)
    alice.goto("/console/")
    table = box(alice, "#queue")
    assert table["width"] > 1300, table  # not the extranet's 52rem column
    subject = alice.locator("#queue td.subject .one-line", has_text="Calls to the Luxembourg")
    expect(subject).to_have_attribute("title", LONG)
    cut = subject.evaluate("e => e.scrollWidth > e.clientWidth")
    assert cut, "the long subject is cut with an ellipsis"
    rows = alice.locator("#queue tbody tr")
    heights = [rows.nth(i).bounding_box()["height"] for i in range(rows.count())]
    assert max(heights) < 40, heights  # dense: one line each
    screenshot(alice, "layout-queue-1440")
    alice.set_viewport_size(TABLET)
    alice.goto("/console/")
    expect(alice.locator("#queue")).to_contain_text(busy.reference)
    page_width = alice.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 768, page_width  # the table fits the tablet
    screenshot(alice, "layout-queue-768")


def test_the_side_column_sits_beside_the_conversation_on_a_desktop_and_below_it_on_a_tablet(
    world, signed_in, busy
):
    alice = signed_in(world.agent)
    alice.set_viewport_size(DESKTOP)
    alice.goto(f"/console/tickets/{busy.reference}/")
    expect(alice.locator("#context")).to_contain_text("Outage now")
    expect(alice.locator("#context")).to_contain_text("+352 621 123 456")
    main, side = box(alice, "#ticket-main"), box(alice, "#ticket-side")
    assert side["x"] >= main["x"] + main["width"] - 1, (main, side)  # beside
    assert abs(side["y"] - main["y"]) < 5, (main, side)  # level with it
    assert main["width"] > 800, main  # the conversation gets the room
    screenshot(alice, "layout-ticket-1440")
    alice.set_viewport_size(TABLET)
    alice.goto(f"/console/tickets/{busy.reference}/")
    main, side = box(alice, "#ticket-main"), box(alice, "#ticket-side")
    assert side["y"] >= main["y"] + main["height"] - 1, (main, side)  # below
    assert side["width"] > 600, side  # the whole width again
    page_width = alice.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 768, page_width  # nothing wider than the tablet
    alice.get_by_label("Message").focus()
    expect(alice.get_by_label("Message")).to_be_focused()
    screenshot(alice, "layout-ticket-768")


def test_the_extranet_keeps_its_single_readable_column(world, signed_in, busy):
    carla = signed_in(world.customer)
    carla.set_viewport_size(DESKTOP)
    carla.goto("/extranet/tickets/")
    assert box(carla, "main")["width"] <= 52 * 16 + 1
    screenshot(carla, "layout-extranet-tickets-1440")
    carla.goto(f"/extranet/tickets/{busy.reference}/")
    assert box(carla, "main")["width"] <= 52 * 16 + 1
    screenshot(carla, "layout-extranet-ticket-1440")
