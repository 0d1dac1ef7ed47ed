"""Periodic work is enqueued once per period, whatever the number of workers, and the worker runs it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django_tasks_db.models import DBTaskResult

from guichet.jobs.models import ScheduledRun
from guichet.jobs.schedule import SCHEDULE, enqueue_due

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_each_job_is_enqueued_once_per_period():
    assert enqueue_due(NOON) == [job.name for job in SCHEDULE]
    assert enqueue_due(NOON + timedelta(seconds=30)) == []  # a second scheduler, within the same periods
    frequent = [job.name for job in SCHEDULE if job.every <= timedelta(hours=1)]
    assert frequent == [
        "end-terminated-subscriptions",
        "escalation-sweep",
        "oncall-sweep",
        "mail-poll",
        "chat-sweep",
        "pending-reminders",
        "sla-stats",
    ]
    assert enqueue_due(NOON + timedelta(hours=3)) == frequent  # not the daily one, nor the 6-hourly one
    assert DBTaskResult.objects.count() == len(SCHEDULE) + len(frequent)


def test_the_next_period_is_enqueued_again():
    enqueue_due(NOON)
    assert enqueue_due(NOON + timedelta(days=1)) == [job.name for job in SCHEDULE]
    assert ScheduledRun.objects.count() == 2 * len(SCHEDULE)


def test_the_database_lets_only_one_scheduler_claim_a_period():
    ScheduledRun.objects.create(job="prune-finished-work", period_start=NOON)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledRun.objects.create(job="prune-finished-work", period_start=NOON)


# The worker closes stale connections between tasks, as it must in production; inside a test transaction
# that would break the test's connection on PostgreSQL, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_enqueued_housekeeping_and_prunes_old_results():
    with time_machine.travel(NOON - timedelta(days=30), tick=False):
        enqueue_due(NOON - timedelta(days=30))
        call_command("worker", batch=True, no_scheduler=True, interval=0)
    prune = DBTaskResult.objects.filter(task_path__endswith="prune_finished_work")
    assert [r.status for r in DBTaskResult.objects.all()] == ["SUCCESSFUL"] * len(SCHEDULE)
    with time_machine.travel(NOON, tick=False):
        enqueue_due(NOON)
        call_command("worker", batch=True, no_scheduler=True, interval=0)
    fresh = prune.get()  # the 30-day-old results were pruned by today's run
    assert fresh.status == "SUCCESSFUL"
    n = len(SCHEDULE)  # the month-old run of each job
    assert fresh.return_value == {"task_results": n, "scheduled_runs": n, "sent_mails": 0}
