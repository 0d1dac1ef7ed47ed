"""Where a new ticket goes: by category, complaints to a supervisor."""

import pytest

from guichet.tickets import services
from guichet.tickets.models import Category


def create(world, category):
    return services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="s",
        description="d",
        category=category,
    )


@pytest.mark.parametrize(
    ("category", "team"),
    [
        (Category.INCIDENT, "NOC"),
        (Category.BILLING, "Billing"),
        (Category.REQUEST, "Support"),
        (Category.SALES, "Support"),
    ],
)
def test_tickets_go_to_the_team_of_their_category(world, category, team):
    assert create(world, category).team.name == team


def test_complaints_are_routed_to_a_supervisor(world):
    ticket = create(world, Category.COMPLAINT)
    assert ticket.assignee == world.supervisor


def test_a_customer_cannot_open_a_ticket_for_a_contact_of_another_organisation(world):
    with pytest.raises(services.ValidationError) as exc:
        services.ticket_create(
            actor=world.customer,
            door="api",
            organisation=world.org,
            requester=world.foreigner,
            subject="s",
            description="d",
        )
    assert "requester" in exc.value.message_dict


def test_references_follow_the_providers_calendar_year(world):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # 00:30 on New Year's Day in Luxembourg is still 2026 in UTC.
    ticket = services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="s",
        description="d",
        opened_at=datetime(2026, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Luxembourg")),
    )
    assert ticket.reference == "GT-2026-000001"
    older = services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="s",
        description="d",
        opened_at=datetime(2025, 12, 31, 23, 30, tzinfo=ZoneInfo("Europe/Luxembourg")),
    )
    assert older.reference == "GT-2025-000001"
