"""In a real browser (Debian's Chromium, Playwright): a customer files a claim from the extranet's guided
form and an account manager approves it in the console; the customer then sees the decision."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from guichet.customers.models import User
from tests.browser import screenshot
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import StaffFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_files_a_claim_and_an_account_manager_approves_it(world, signed_in):
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    manager = StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER)
    line = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    declare_outage(world, line, datetime(2026, 11, 3, 10, tzinfo=LU), datetime(2026, 11, 3, 12, tzinfo=LU))
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=LU), tick=True):
        carla = signed_in(world.customer)
        carla.goto("/extranet/claims/new")
        expect(carla.locator("#window")).to_contain_text("Today you can claim for 2026-11.")
        carla.get_by_label("Service").select_option(label="SIP trunk +352 20 00 0001")
        carla.get_by_label("Ticket number").fill(ticket.reference)
        carla.get_by_label("Start of the outage").fill("2026-11-03T10:00")
        carla.get_by_label("End of the outage").fill("2026-11-03T12:00")
        carla.get_by_label("Description").fill("No calls on the trunk for two hours")
        screenshot(carla, "claim-form")
        carla.get_by_role("button", name="Send the claim").click()
        expect(carla.locator(".notices")).to_contain_text("is filed")
        expect(carla.locator(".claim-status")).to_contain_text("Filed, awaiting a decision")

        max_ = signed_in(manager)
        max_.goto("/console/claims/")
        max_.get_by_role("row").filter(has_text="Acme").get_by_role("link").click()
        expect(max_.locator("#proposed")).to_have_text("40.00 EUR")
        max_.get_by_role("button", name="Record the decision").click()
        expect(max_.locator("#claim-status")).to_contain_text("Approved: 40.00 EUR")
        screenshot(max_, "claim-console")

        carla.reload()
        expect(carla.locator(".claim-status")).to_contain_text("Approved")
