"""Outages in the console: current, planned and recent outages; the NOC declares, changes and ends them and
announces a maintenance to the affected contacts (availability.services, which check who may)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.availability.models import Outage
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import ContactFactory
from tests.helpers import declare_outage

from .screens import browser, events

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 11, 30, 10, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def in_luxembourg(world):
    """The staff read and type times in Luxembourg's zone (the forms read them in the reader's zone)."""
    for user in (world.noc_agent, world.supervisor, world.agent, world.billing_agent):
        user.time_zone = "Europe/Luxembourg"
        user.save(update_fields=["time_zone"])


@pytest.fixture
def line(world):
    return SubscriptionFactory(organisation=world.org, identifier="LU-TRUNK-1")


def declare(client, **fields):
    form = {
        "services": "LU-TRUNK-1",
        "cause": "incident",
        "title": "Trunk down",
        "started_at": "2026-11-30T09:40",
    }
    return client.post("/console/outages/declare", {**form, **fields})


def test_the_noc_declares_an_outage_through_the_service(world, line):
    nora = browser(world.noc_agent)
    answer = declare(nora)
    outage = Outage.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/console/outages/{outage.pk}/"
    assert (outage.title, outage.started_at, outage.ended_at) == (
        "Trunk down",
        NOW - timedelta(minutes=20),
        None,
    )
    assert list(outage.subscriptions.all()) == [line]
    assert [e.door for e in events("outage.declared", actor=world.noc_agent)] == ["web"]
    page = nora.get(answer["Location"]).content.decode()
    assert "Outage declared." in page and "still going" in page and "LU-TRUNK-1" in page
    board = nora.get("/console/outages/").content.decode()
    assert board.index("Trunk down") < board.index("Planned maintenance to come")


def test_the_noc_changes_and_ends_an_outage(world, line):
    nora = browser(world.noc_agent)
    declare(nora)
    outage = Outage.objects.get()
    second = SubscriptionFactory(organisation=world.other_org, identifier="LU-TRUNK-2")
    answer = nora.post(
        f"/console/outages/{outage.pk}/update",
        {"title": "Trunks down", "description": "Fibre cut", "services": "LU-TRUNK-1\nLU-TRUNK-2"},
    )
    assert answer.status_code == 302
    outage.refresh_from_db()
    assert outage.title == "Trunks down" and set(outage.subscriptions.all()) == {line, second}
    assert events("outage.updated", door="web")
    nora.post(f"/console/outages/{outage.pk}/end", {"ended_at": "2026-11-30T09:55"})
    outage.refresh_from_db()
    assert outage.ended_at == NOW - timedelta(minutes=5)
    assert events("outage.ended", door="web")
    board = nora.get("/console/outages/").content.decode()
    assert board.index("Over in the last 30 days") < board.index("Trunks down")


def test_a_maintenance_is_planned_then_announced_to_its_contacts(world, line):
    sue = browser(world.supervisor)
    declare(
        sue,
        cause="maintenance",
        title="Core upgrade",
        started_at="2026-12-03T22:00",
        ended_at="2026-12-04T02:00",
    )
    outage = Outage.objects.get()
    ContactFactory(organisation=world.org, user__username="bea", roles=["billing"])
    page = sue.get(f"/console/outages/{outage.pk}/").content.decode()
    assert "is mailed to 2 contacts" in page  # admin and technical contacts: not Bea, billing only
    assert world.customer.email in page and world.colleague.email in page and "bea@" not in page
    assert "2026-12-03 22:00" in page  # in the reader's zone, as typed
    board = sue.get("/console/outages/").content.decode()
    assert board.index("Planned maintenance to come") < board.index("Core upgrade")
    assert sue.post(f"/console/outages/{outage.pk}/announce").status_code == 302
    outage.refresh_from_db()
    assert outage.announced_at == NOW
    assert events("outage.maintenance_announced", door="web", actor=world.supervisor)


def test_bad_input_is_refused_naming_the_field_by_its_label(world, line):
    nora = browser(world.noc_agent)
    answer = declare(nora, title=" ", services="LU-TRUNK-1\nNOPE-9", started_at="yesterday")
    assert answer.status_code == 400
    assert "Services affected: No service NOPE-9." in answer.content.decode()
    assert "Start: Give a date and a time" in declare(nora, started_at="yesterday").content.decode()
    text = declare(nora, title=" ").content.decode()
    assert "Title: Give the outage a title." in text
    text = declare(nora, started_at="2026-12-01T10:00").content.decode()
    assert "Start: Only maintenance can be declared ahead." in text
    assert Outage.objects.count() == 0


def test_only_the_noc_supervisors_and_admins_declare_change_end_and_announce(world, line):
    outage = declare_outage(world, line, NOW - timedelta(hours=1), None)
    for who in (world.agent, world.billing_agent):  # support and billing staff read, do not declare
        client = browser(who)
        assert client.get("/console/outages/").status_code == 200
        assert "Declare an outage" not in client.get("/console/outages/").content.decode()
        assert declare(client).status_code == 403
        assert (
            client.post(f"/console/outages/{outage.pk}/end", {"ended_at": "2026-11-30T09:55"}).status_code
            == 403
        )
        update = {"title": "x", "services": "LU-TRUNK-1"}
        assert client.post(f"/console/outages/{outage.pk}/update", update).status_code == 403
        assert client.post(f"/console/outages/{outage.pk}/announce").status_code == 403
    carla = browser(world.customer)
    assert carla.get("/console/outages/").status_code == 403
    assert carla.get(f"/console/outages/{outage.pk}/").status_code == 403
    assert declare(carla).status_code == 403
    assert Outage.objects.count() == 1 and Outage.objects.get().ended_at is None


def test_the_board_reads_in_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for n in range(12):
        line = SubscriptionFactory(organisation=world.org if n % 2 else world.other_org, identifier=f"L-{n}")
        declare_outage(
            world, line, NOW - timedelta(days=n, hours=2), NOW - timedelta(days=n, hours=1) if n else None
        )
    sue = browser(world.supervisor)
    with django_assert_max_num_queries(12):
        page = sue.get("/console/outages/").content.decode()
    assert page.count("/console/outages/") >= 12


def test_the_board_reads_in_french_for_a_french_reader(world, line):
    world.noc_agent.language = "fr"
    world.noc_agent.save(update_fields=["language"])
    declare_outage(world, line, NOW - timedelta(hours=1), None)
    text = browser(world.noc_agent).get("/console/outages/").content.decode()
    assert (
        "Pannes" in text and "En cours" in text and "toujours en cours" in text and "Services touchés" in text
    )
