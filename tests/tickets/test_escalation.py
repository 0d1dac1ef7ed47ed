"""The escalation sweep: warnings at 75 %, breach notices, priority raises — once each, never lost."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from guichet.audit.models import AuditEvent
from guichet.tickets import escalation, services
from guichet.tickets.models import Category, Notification, SlaClock, Status

LU = ZoneInfo("Europe/Luxembourg")


def lu(*args):
    return datetime(*args, tzinfo=LU)


def open_ticket(world, at, **kw):
    return services.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description="No calls",
        category=kw.pop("category", Category.INCIDENT),
        priority=kw.pop("priority", "high"),
        opened_at=at,
    )


def notes(kind):
    return list(Notification.objects.filter(kind=kind).values_list("recipient__username", "clock"))


def test_a_warning_goes_to_the_team_at_75_percent_once(world):
    # Office incident at Monday 08:00: first response 4 h -> warning at 11:00, due at 12:00.
    with time_machine.travel(lu(2026, 11, 30, 11, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8))
        assert escalation.sweep() == {"raised": 0, "warned": 1, "breached": 0}
        assert notes("sla_warning") == [("nora", "first_response")]  # the NOC team (no assignee yet)
        assert escalation.sweep() == {"raised": 0, "warned": 0, "breached": 0}
    assert SlaClock.objects.get(ticket=ticket, clock="first_response").warned_at is not None


def test_a_breach_notifies_the_supervisor_once_and_is_recorded(world):
    with time_machine.travel(lu(2026, 11, 30, 12, 0, 1), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8))
        result = escalation.sweep()
        assert result["breached"] == 1
        assert notes("sla_breach") == [("sue", "first_response")]
        assert notes("sla_warning") == []  # past due already: no warning on top of the breach
        assert escalation.sweep()["breached"] == 0
    clock = SlaClock.objects.get(ticket=ticket, clock="first_response")
    assert (clock.state, clock.breached_at) == ("breached", lu(2026, 11, 30, 12))
    assert AuditEvent.objects.filter(action="sla.breached", target_id=ticket.pk).count() == 1


def test_an_unanswered_ticket_is_raised_one_priority_level_per_plan_setting(world):
    plan = world.use_plan("standard")  # 12 business hours first response, Mon-Fri 08:00-17:00
    plan.raise_priority_after = Decimal(4)
    plan.save()
    with time_machine.travel(lu(2026, 11, 30, 12, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8), category=Category.REQUEST, priority="medium")
        assert escalation.sweep()["raised"] == 1
        ticket.refresh_from_db()
        assert ticket.priority == "high"
        event = AuditEvent.objects.get(action="ticket.priority_raised", target_id=ticket.pk)
        assert event.changes["priority"] == ["medium", "high"]
        assert "4" in event.changes["reason"]
        with time_machine.travel(lu(2026, 12, 1, 16), tick=False):
            assert escalation.sweep()["raised"] == 0  # never twice


def test_a_ticket_answered_in_time_is_not_raised(world):
    plan = world.use_plan("standard")
    plan.raise_priority_after = Decimal(4)
    plan.save()
    with time_machine.travel(lu(2026, 11, 30, 12, 30), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8), category=Category.REQUEST, priority="medium")
        services.ticket_reply(
            actor=world.agent, door="api", ticket=ticket, body="Hi", at=lu(2026, 11, 30, 9), can_import=True
        )
        assert escalation.sweep()["raised"] == 0


def test_nothing_escalates_while_the_ticket_waits_for_the_customer(world):
    with time_machine.travel(lu(2026, 12, 2, 12), tick=False):
        ticket = open_ticket(world, lu(2026, 11, 30, 8))
        services.ticket_reply(
            actor=world.noc_agent,
            door="api",
            ticket=ticket,
            body="?",
            at=lu(2026, 11, 30, 9),
            can_import=True,
        )
        services.ticket_change(
            actor=world.noc_agent,
            door="api",
            ticket=ticket,
            expected_version=None,
            status=Status.PENDING_CUSTOMER,
            at=lu(2026, 11, 30, 9),
            can_import=True,
        )
        assert escalation.sweep() == {"raised": 0, "warned": 0, "breached": 0}
    paused = SlaClock.objects.filter(ticket=ticket, stopped=False).values_list(
        "due_at", "warn_at", "raise_at"
    )
    assert set(paused) == {(None, None, None)}  # out of every escalation index while paused


def test_a_crash_in_the_middle_of_a_sweep_loses_nothing(world, monkeypatch):
    with time_machine.travel(lu(2026, 11, 30, 11, 30), tick=False):
        for _ in range(3):
            open_ticket(world, lu(2026, 11, 30, 8))
        calls = {"n": 0}
        real = escalation.notify

        def flaky(**kw):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("worker killed")
            return real(**kw)

        monkeypatch.setattr(escalation, "notify", flaky)
        with pytest.raises(RuntimeError):
            escalation.sweep()
        assert Notification.objects.count() == 0  # the whole batch rolled back
        monkeypatch.setattr(escalation, "notify", real)
        assert escalation.sweep()["warned"] == 3
        assert Notification.objects.count() == 3


# The worker closes stale connections between tasks: on PostgreSQL that needs a test that commits for real.
@pytest.mark.django_db(transaction=True)
def test_the_worker_mails_the_notifications(world, settings):
    world.noc_agent.email = "nora@provider.example"
    world.noc_agent.language = "fr"
    world.noc_agent.save()
    with time_machine.travel(lu(2026, 11, 30, 11, 30), tick=False):
        open_ticket(world, lu(2026, 11, 30, 8))
        escalation.sweep()
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert [m.to for m in mail.outbox] == [["nora@provider.example"]]
    assert mail.outbox[0].subject == "[GT-2026-000001] 75 % du délai de première réponse consommé"
    assert Notification.objects.get().emailed_at is not None


def test_a_quiet_sweep_reads_only_the_indexes(world, django_assert_max_num_queries):
    with time_machine.travel(lu(2026, 11, 30, 9), tick=False):
        open_ticket(world, lu(2026, 11, 30, 8))
        # Per step: one indexed SELECT inside its transaction (a savepoint and its release in tests).
        with django_assert_max_num_queries(9):
            assert escalation.sweep() == {"raised": 0, "warned": 0, "breached": 0}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_each_step_reads_its_partial_index_of_clocks_still_to_handle(world):
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(lu(2026, 11, 30, 9), tick=False):
        open_ticket(world, lu(2026, 11, 30, 8))
        with CaptureQueriesContext(connection) as ctx:
            escalation.sweep()
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 3
    with connection.cursor() as cur:
        for sql, index in zip(selects, ("clock_to_raise", "clock_to_warn", "clock_to_breach"), strict=True):
            # The captured SQL has its values inlined; the plan is the same as with bound parameters.
            plan = " ".join(str(row[-1]) for row in cur.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
            assert f"USING INDEX {index}" in plan, plan
