"""In a real browser: a contact opens a ticket — the likely duplicate appears while the subject is typed —
and sees when it is due; an agent's answer then shows in the conversation."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from guichet.tickets import services
from guichet.tickets.models import Ticket
from tests.browser import screenshot

LU = ZoneInfo("Europe/Luxembourg")
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_contact_opens_a_ticket_and_sees_its_due_time(world, signed_in):
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=True):
        services.ticket_create(
            actor=world.colleague,
            door="api",
            organisation=world.org,
            requester=world.colleague,
            subject="SIP trunk down at Site B",
            description="Colin's report",
        )
        carla = signed_in(world.customer)
        carla.goto("/extranet/tickets/new")
        carla.get_by_label("Subject").press_sequentially("SIP trunk down", delay=20)
        expect(carla.locator("#similar-list")).to_contain_text("GT-2026-000001")  # as she types
        carla.get_by_label("Subject").fill("Voicemail not working")
        carla.get_by_label("Description").fill("Callers cannot leave messages")
        carla.get_by_role("button", name="Open the ticket").click()
        expect(carla.get_by_role("heading", level=1)).to_contain_text("GT-2026-000002")
        # Office plan, request: 4 support hours to answer, Monday from 10:00 -> 14:00 Luxembourg time
        expect(carla.locator("#clock-first_response")).to_contain_text("2026-11-30 14:00")
        expect(carla.locator("#clock-first_response .badge-ok")).to_contain_text("4 h left")
        screenshot(carla, "ticket-contact")
        services.ticket_reply(
            actor=world.agent, door="api", ticket=Ticket.objects.get(reference="GT-2026-000002"), body="On it"
        )
        carla.reload()
        expect(carla.locator(".transcript")).to_contain_text("On it")
        expect(carla.locator("#clock-first_response .badge-met")).to_contain_text("met at")
