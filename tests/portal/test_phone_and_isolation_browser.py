"""In a real browser: the extranet fits a phone's width, and a customer of another organisation reaches
none of it."""

import pytest
from playwright.sync_api import expect

from guichet.tickets import services
from tests.browser import screenshot
from tests.contracts.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(world):
    line = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="SIP trunk down at Site B",
        description="No calls since 9:00",
    )
    return line, ticket


def test_the_extranet_fits_a_phone(world, signed_in, acme):
    line, ticket = acme
    carla = signed_in(world.customer)
    carla.set_viewport_size({"width": 375, "height": 740})
    for path in (
        "/extranet/",
        "/extranet/tickets/",
        f"/extranet/tickets/{ticket.reference}/",
        f"/extranet/services/{line.pk}/",
    ):
        carla.goto(path)
        overflow = carla.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    screenshot(carla, "phone-service")


def test_a_customer_of_another_organisation_reaches_none_of_it(world, signed_in, acme):
    line, ticket = acme
    fred = signed_in(world.foreigner)
    for path in (
        f"/extranet/tickets/{ticket.reference}/",
        f"/extranet/services/{line.pk}/",
        f"/extranet/services/{line.pk}/terminate",
        f"/api/v1/tickets/{ticket.reference}",
        f"/api/v1/subscriptions/{line.pk}",
    ):
        response = fred.goto(path)
        assert response.status == 404, path
    fred.goto("/extranet/tickets/")
    expect(fred.locator("main")).not_to_contain_text("SIP trunk down at Site B")
    assert fred.goto("/console/").status == 403
    expect(fred.get_by_role("heading", level=1)).to_contain_text("You may not open this page")
