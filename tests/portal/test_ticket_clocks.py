"""The ticket pages (extranet and console) show what happened to each clock: when it was met, that a merge
ended it, and where a merged ticket went."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet.tickets import services
from guichet.tickets.models import Category

LU = ZoneInfo("Europe/Luxembourg")


def lu(*args):
    return datetime(*args, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(lu(2026, 12, 1, 12, 30), tick=False):
        yield


def browser(user, language="en"):
    user.time_zone, user.language = "Europe/Luxembourg", language
    user.save()
    client = Client()
    client.force_login(user)
    return client


def open_ticket(world, at, subject="Lines down", requester=None):
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=requester or world.customer,
        subject=subject,
        description="All our SIP trunks are down.",
        category=Category.INCIDENT,
        priority="high",
        opened_at=at,
    )


def _time(at):
    return f'datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M}</time>'


def test_a_met_clock_shows_when_it_was_met_not_its_due_instant(world):
    ticket = open_ticket(world, lu(2026, 12, 1, 8))  # Office incident: first answer due at 12:00
    services.ticket_reply(
        actor=world.agent, door="api", ticket=ticket, body="On it", at=lu(2026, 12, 1, 9), can_import=True
    )
    for client, path in (
        (browser(world.customer), f"/extranet/tickets/{ticket.reference}/"),
        (browser(world.supervisor), f"/console/tickets/{ticket.reference}/"),
    ):
        page = client.get(path).text
        # Due at 12:00, met at 09:00: 3 business hours to spare, said in the badge.
        assert '<span class="badge badge-met">met at 09:00, 3 h before its due time</span>' in page, path
        assert _time(lu(2026, 12, 1, 12)) not in page, path  # the due instant it beat is not "when"
    french = browser(world.customer, "fr").get(f"/extranet/tickets/{ticket.reference}/").text
    assert "respecté à 09:00, 3 h avant l&#x27;échéance" in french  # the template escapes the apostrophe


def test_a_merged_ticket_shows_the_customer_where_it_went_and_its_clocks_ended_by_the_merge(world):
    keep = open_ticket(world, lu(2026, 12, 1, 9), subject="Trunk down")
    dup = open_ticket(world, lu(2026, 12, 1, 10), subject="Trunk down too", requester=world.colleague)
    services.ticket_merge(actor=world.supervisor, door="api", ticket=dup, into=keep)
    page = browser(world.colleague).get(f"/extranet/tickets/{dup.reference}/").text
    link = f'<a href="/extranet/tickets/{keep.reference}/">{keep.reference}</a>'
    assert f"This ticket was merged into {link}: the conversation goes on there." in page
    assert '<span class="badge badge-merged">ended by the merge</span>' in page
    assert "met at" not in page
    french = browser(world.colleague, "fr").get(f"/extranet/tickets/{dup.reference}/").text
    assert f"Ce ticket a été fusionné dans {link}" in french


def test_staff_get_a_link_to_the_surviving_ticket_only_when_they_may_open_it(world):
    keep = open_ticket(world, lu(2026, 12, 1, 9), subject="Trunk down")
    dup = open_ticket(world, lu(2026, 12, 1, 10), subject="Trunk down too")
    services.ticket_merge(actor=world.supervisor, door="api", ticket=dup, into=keep)
    sue = browser(world.supervisor).get(f"/console/tickets/{dup.reference}/").text
    assert f'merged into <a href="/console/tickets/{keep.reference}/">{keep.reference}</a>' in sue
    # Nora (NOC) is assigned the merged ticket only: the survivor is outside her scope, named without a link.
    services.ticket_change(
        actor=world.supervisor, door="api", ticket=keep, expected_version=None, team=world.support
    )
    services.ticket_change(
        actor=world.supervisor,
        door="api",
        ticket=dup,
        expected_version=None,
        team=world.billing,
        assignee=world.noc_agent,
    )
    nora = browser(world.noc_agent).get(f"/console/tickets/{dup.reference}/")
    assert nora.status_code == 200
    assert f"merged into {keep.reference}: the conversation" in nora.text
    assert f'href="/console/tickets/{keep.reference}/"' not in nora.text
