"""The extranet in words for people (issue 16): durations in hours and minutes, "1 ticket" and "2 tickets" —
in English and in French."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tests.contracts.factories import ServiceFactory, SubscriptionFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
DEC_3 = datetime(2026, 12, 3, 10, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(DEC_3, tick=False) as traveller:
        yield traveller


def reader(user, language="en"):
    user.time_zone, user.language = "Europe/Luxembourg", language
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def line(world):
    return SubscriptionFactory(
        organisation=world.org,
        service=ServiceFactory(code="mobile-line", name="Mobile line"),
        identifier="+352 621 123 456",
    )


def test_the_service_page_says_how_long_it_was_down_in_hours_and_minutes(world, line):
    declare_outage(world, line, datetime(2026, 12, 1, 9, tzinfo=LU), datetime(2026, 12, 1, 11, 15, tzinfo=LU))
    english = reader(world.customer).get(f"/extranet/services/{line.pk}/").text
    assert "<td>2 h 15 min</td>" in english and "8100 s" not in english
    french = reader(world.customer, "fr").get(f"/extranet/services/{line.pk}/").text
    assert "<td>2 h 15 min</td>" in french and "<td>0 min</td>" in french  # a month without downtime


def test_the_ticket_form_counts_the_months_tickets_with_the_nouns_plural(world):
    plan = world.use_plan("office")
    plan.monthly_ticket_quota = 5
    plan.save(update_fields=["monthly_ticket_quota"])
    open_incident(world)
    english = reader(world.customer).get("/extranet/tickets/new").text
    assert "1 ticket opened this month, out of the 5 your plan allows." in english
    open_incident(world)
    assert (
        "2 tickets opened this month, out of the 5 your plan allows."
        in reader(world.customer).get("/extranet/tickets/new").text
    )
    french = reader(world.customer, "fr").get("/extranet/tickets/new").text
    assert "2 tickets ouverts ce mois-ci, sur les 5 que permet votre plan de support." in french
