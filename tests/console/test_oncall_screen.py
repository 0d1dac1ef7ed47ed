"""On call in the console: who is on call now and next, the pages waiting, acknowledged and false alarms,
and the acknowledge and false-alarm actions (channels.oncall, which checks who may)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.channels.models import OnCallRota, OnCallShift, Page
from guichet.tickets import services
from tests.customers.factories import StaffFactory

from .screens import browser, events

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 12, 1, 22, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rota(world):
    rota = OnCallRota.objects.create(team=world.noc, acknowledge_minutes=15)
    otto = StaffFactory(username="otto", first_name="Otto")
    OnCallShift.objects.create(
        rota=rota,
        user=world.noc_agent,
        starts_at=datetime(2026, 11, 30, tzinfo=LU),
        ends_at=datetime(2026, 12, 7, tzinfo=LU),
    )
    OnCallShift.objects.create(
        rota=rota,
        user=otto,
        starts_at=datetime(2026, 12, 7, tzinfo=LU),
        ends_at=datetime(2026, 12, 14, tzinfo=LU),
    )
    return rota


def page(world, rota, subject="Everything is down"):
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description="x",
    )
    return Page.objects.create(
        ticket=ticket, rota=rota, reason="Urgent incident out of hours", created_at=NOW, paged=world.noc_agent
    )


def test_the_board_shows_who_is_on_call_now_and_next_and_the_pages(world, rota):
    waiting = page(world, rota)
    text = browser(world.agent).get("/console/oncall/").content.decode()
    now_part, next_part = text.split("Next:")[0], text.split("Next:")[1]
    assert "nora" in now_part and "until 2026-12-06 23:00" in now_part  # Alice reads UTC
    assert "Otto" in next_part and "from 2026-12-06 23:00" in next_part
    assert waiting.ticket.reference in text.split('id="pages-open"')[1].split("</table>")[0]


def test_the_on_call_engineer_acknowledges_a_page(world, rota):
    waiting = page(world, rota)
    nora = browser(world.noc_agent)
    answer = nora.post(f"/console/oncall/pages/{waiting.pk}/acknowledge")
    assert answer.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.acknowledged_by, waiting.acknowledged_at, waiting.next_page_at) == (
        world.noc_agent,
        NOW,
        None,
    )
    assert [e.door for e in events("ticket.emergency_acknowledged", actor=world.noc_agent)] == ["web"]
    text = nora.get("/console/oncall/").content.decode()
    assert "Emergency taken" in text
    assert waiting.ticket.reference in text.split('id="pages-acknowledged"')[1].split("</table>")[0]


def test_a_false_alarm_stops_the_paging(world, rota):
    waiting = page(world, rota)
    assert (
        browser(world.supervisor).post(f"/console/oncall/pages/{waiting.pk}/false-alarm").status_code == 302
    )
    waiting.refresh_from_db()
    assert waiting.false_alarm and waiting.next_page_at is None
    assert [e.door for e in events("ticket.emergency_false_alarm")] == ["web"]


def test_acknowledging_twice_is_refused_by_a_message_naming_the_page(world, rota):
    waiting = page(world, rota)
    nora = browser(world.noc_agent)
    nora.post(f"/console/oncall/pages/{waiting.pk}/acknowledge")
    nora.get("/console/oncall/")  # reads the first notice
    text = nora.post(f"/console/oncall/pages/{waiting.pk}/acknowledge", follow=True).content.decode()
    assert "Page: Already acknowledged" in text
    assert len(events("ticket.emergency_acknowledged")) == 1


def test_staff_outside_the_rota_and_customers_may_not_act_on_pages(world, rota):
    waiting = page(world, rota)
    for who in (world.agent, world.billing_agent):  # the support desk and billing staff: not the NOC's rota
        client = browser(who)
        assert client.post(f"/console/oncall/pages/{waiting.pk}/acknowledge").status_code == 403
        assert client.post(f"/console/oncall/pages/{waiting.pk}/false-alarm").status_code == 403
    carla = browser(world.customer)
    assert carla.get("/console/oncall/").status_code == 403
    assert carla.post(f"/console/oncall/pages/{waiting.pk}/acknowledge").status_code == 403
    assert browser(world.noc_agent).post("/console/oncall/pages/999999/acknowledge").status_code == 404
    waiting.refresh_from_db()
    assert waiting.acknowledged_at is None and not waiting.false_alarm


def test_the_board_reads_in_a_bounded_number_of_queries(world, rota, django_assert_max_num_queries):
    OnCallRota.objects.create(team=world.support)
    pages = [page(world, rota, f"Down {n}") for n in range(9)]
    for p in pages[:3]:
        p.acknowledged_at, p.acknowledged_by = NOW, world.noc_agent
        p.save()
    for p in pages[3:6]:
        p.false_alarm = True
        p.save()
    sue = browser(world.supervisor)
    with django_assert_max_num_queries(12):
        text = sue.get("/console/oncall/").content.decode()
    assert all(p.ticket.reference in text for p in pages)
