"""Emergencies page the engineers on call, one after the other until one acknowledges."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from guichet.channels import oncall
from guichet.channels.models import OnCallRota, OnCallShift, Page, PageAttempt
from guichet.tickets import services as tickets

from ..customers.factories import StaffFactory

LU = ZoneInfo("Europe/Luxembourg")
SATURDAY_NIGHT = datetime(2026, 12, 5, 23, 0, tzinfo=LU)


def lu(*args):
    return datetime(*args, tzinfo=LU)


@pytest.fixture
def rota(world):
    rota = OnCallRota.objects.create(team=world.noc, acknowledge_minutes=15)
    world.noc_agent.email = "nora@provider.example"
    world.noc_agent.save()
    backup = StaffFactory(username="otto", email="otto@provider.example")
    week = (lu(2026, 11, 30), lu(2026, 12, 7))
    OnCallShift.objects.create(
        rota=rota, user=world.noc_agent, starts_at=week[0], ends_at=week[1], position=1
    )
    OnCallShift.objects.create(rota=rota, user=backup, starts_at=week[0], ends_at=week[1], position=2)
    world.supervisor.email = "sue@provider.example"
    world.supervisor.save()
    return rota


def declare(world, *, priority="urgent", category="incident", actor=None):
    return tickets.ticket_create(
        actor=actor or world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Everything is down",
        description="All lines dead",
        category=category,
        priority=priority,
    )


def test_an_urgent_incident_outside_support_hours_pages_the_first_on_call(world, rota):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        ticket = declare(world)
    page = Page.objects.get()
    assert (page.ticket, page.paged, page.step) == (ticket, world.noc_agent, 1)
    assert page.reason == "urgent incident outside support hours"
    assert page.next_page_at == SATURDAY_NIGHT + timedelta(minutes=15)


@pytest.mark.parametrize(
    "when, priority, category",
    [
        (lu(2026, 12, 1, 10), "urgent", "incident"),  # Tuesday morning: support is open
        (SATURDAY_NIGHT, "high", "incident"),  # not urgent
        (SATURDAY_NIGHT, "urgent", "request"),  # not an incident
    ],
)
def test_what_can_wait_for_support_hours_pages_no_one(world, rota, when, priority, category):
    with time_machine.travel(when, tick=False):
        declare(world, priority=priority, category=category)
    assert Page.objects.count() == 0


def test_a_customer_declared_outage_on_a_24_7_plan_pages_even_in_office_hours(world, rota):
    world.use_plan("advanced")  # fault handling 24/7
    with time_machine.travel(lu(2026, 12, 1, 10), tick=False):
        declare(world)
    assert Page.objects.get().reason.startswith("outage declared by the customer")


def test_unacknowledged_pages_go_to_the_next_engineer_then_the_supervisor_once_each(world, rota):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
    with time_machine.travel(SATURDAY_NIGHT + timedelta(minutes=10), tick=False):
        assert oncall.sweep() == 0  # still within the 15 minutes
    with time_machine.travel(SATURDAY_NIGHT + timedelta(minutes=15), tick=False):
        assert oncall.sweep() == 1
        assert oncall.sweep() == 0  # never twice
    assert Page.objects.get().paged.username == "otto"
    with time_machine.travel(SATURDAY_NIGHT + timedelta(minutes=31), tick=False):
        oncall.sweep()
    people = list(PageAttempt.objects.order_by("pk").values_list("user__username", flat=True))
    assert people == ["nora", "otto", "sue"]
    assert Page.objects.get().next_page_at is None


def test_an_acknowledged_page_pages_no_one_else(world, rota):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
        oncall.acknowledge(page=Page.objects.get(), user=world.noc_agent)
    with time_machine.travel(SATURDAY_NIGHT + timedelta(hours=1), tick=False):
        assert oncall.sweep() == 0
    assert PageAttempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_pages_are_mailed_and_texted_through_the_gateway(world, rota):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.headers["Idempotency-Key"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rota.webhook_url = f"http://127.0.0.1:{server.server_port}/sms"
    rota.save()
    OnCallShift.objects.filter(user=world.noc_agent).update(phone="+352691000111")
    try:
        with time_machine.travel(SATURDAY_NIGHT, tick=False):
            ticket = declare(world)
        call_command("worker", batch=True, no_scheduler=True, interval=0)
    finally:
        server.shutdown()
    assert [m.to for m in mail.outbox if "EMERGENCY" in m.subject] == [["nora@provider.example"]]
    key = f"page-{PageAttempt.objects.get().pk}"
    assert received == [(key, {"id": key, "to": "+352691000111", "text": received[0][1]["text"]})]
    assert received[0][1]["text"].startswith(f"EMERGENCY {ticket.reference} (Acme)")
    assert PageAttempt.objects.get().texted_at is not None


def test_false_alarms_are_counted_per_organisation(world, rota):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
        declare(world)
    first, second = Page.objects.order_by("pk")
    oncall.mark_false_alarm(page=first, user=world.supervisor)
    assert oncall.false_alarms(since=SATURDAY_NIGHT - timedelta(days=30)) == {world.org.pk: 1}
    assert Page.objects.get(pk=first.pk).next_page_at is None and second.next_page_at is not None


def test_engineers_acknowledge_through_the_api(world, rota, as_user):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
    page = Page.objects.get()
    nora = as_user(world.noc_agent)
    assert [p["id"] for p in nora.get("/pages").json()] == [page.pk]
    assert as_user(world.customer).post(f"/pages/{page.pk}/acknowledge").status_code == 404
    done = nora.post(f"/pages/{page.pk}/acknowledge")
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "nora"
    assert nora.post(f"/pages/{page.pk}/acknowledge").status_code == 422  # once
    assert nora.get("/pages").json() == []


@pytest.mark.parametrize("who", ["backup", "supervisor", "admin"])
def test_the_rota_s_backup_its_team_s_supervisor_and_admins_acknowledge_too(world, rota, as_user, who):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
    page = Page.objects.get()
    user = {"backup": rota.shifts.get(position=2).user, "supervisor": world.supervisor, "admin": world.admin}
    done = as_user(user[who]).post(f"/pages/{page.pk}/acknowledge")
    assert done.status_code == 200 and done.json()["acknowledged_by"] == user[who].username


def test_staff_outside_the_on_call_team_may_not_acknowledge_its_page(world, rota, as_user):
    """Billing staff, or another team's agent, would silence the paging of a ticket that is not theirs."""
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
    page = Page.objects.get()
    sam = StaffFactory(username="sam", kind="supervisor")
    world.support.supervisor = sam
    world.support.save()
    for outsider in (world.billing_agent, world.agent, sam):  # Bill (billing), Alice and Sam (support)
        response = as_user(outsider).post(f"/pages/{page.pk}/acknowledge")
        assert response.status_code == 403, outsider
        assert response.json()["detail"] == (
            "Only the on-call team's members, its supervisor, the engineers on its rota and admins "
            "acknowledge its pages."
        )
    page.refresh_from_db()
    assert page.acknowledged_at is None and page.next_page_at is not None  # the paging goes on
