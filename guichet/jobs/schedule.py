"""The whole periodic schedule, in one place, and the scheduler that enqueues it.

Each job runs once per period (periods are aligned on the Unix epoch in UTC: a daily job's period starts at
00:00 UTC). The scheduler loop runs inside every `guichet worker`; a database row per (job, period) makes
sure that only one of them enqueues a given period (see ScheduledRun). Each pass also queues again the tasks
of workers that died while running them (guichet/jobs/worker.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django_tasks_db import DatabaseBackend

from guichet.billing.tasks import monthly_billing
from guichet.channels.chat import chat_sweep
from guichet.channels.mail.imap import poll_mailboxes
from guichet.channels.mail.outbound import pending_reminders
from guichet.channels.oncall import oncall_sweep
from guichet.contracts.tasks import end_terminated_subscriptions
from guichet.ops.errors import first_line
from guichet.tickets.tasks import escalation_sweep, sla_stats

from .models import ScheduledRun
from .tasks import prune_finished_work
from .worker import DB_ERRORS, HeartbeatThread, close_connections, recover_orphans

if TYPE_CHECKING:
    from django_tasks.base import Task

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task[..., Any]
    every: timedelta

    def period_start(self, now: datetime) -> datetime:
        return EPOCH + self.every * ((now - EPOCH) // self.every)


def _schedule() -> list[Periodic]:

    return [
        Periodic("prune-finished-work", prune_finished_work, timedelta(days=1)),
        Periodic("monthly-billing", monthly_billing, timedelta(hours=6)),
        Periodic("end-terminated-subscriptions", end_terminated_subscriptions, timedelta(hours=1)),
        Periodic("escalation-sweep", escalation_sweep, timedelta(minutes=1)),
        Periodic("oncall-sweep", oncall_sweep, timedelta(minutes=1)),
        Periodic("mail-poll", poll_mailboxes, timedelta(minutes=1)),
        Periodic("chat-sweep", chat_sweep, timedelta(minutes=1)),
        Periodic("pending-reminders", pending_reminders, timedelta(hours=1)),
        Periodic("sla-stats", sla_stats, timedelta(hours=1)),
    ]


SCHEDULE: list[Periodic] = _schedule()


def enqueue_due(now: datetime, schedule: list[Periodic] | None = None) -> list[str]:
    """Enqueue every job whose current period has not been enqueued yet; returns the names enqueued."""
    enqueued = []
    for job in SCHEDULE if schedule is None else schedule:
        start = job.period_start(now)
        if ScheduledRun.objects.filter(job=job.name, period_start=start).exists():
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, period_start=start)
                if isinstance(job.task.get_backend(), DatabaseBackend):
                    # Claim and enqueue in one transaction: both rows commit together, so a crash can
                    # neither lose a claimed period nor enqueue it twice.
                    run.task_result_id = str(job.task.enqueue().id)
                    run.save(update_fields=["task_result_id"])
                else:
                    # A broker is outside the transaction: enqueue only once the claim is committed.
                    transaction.on_commit(job.task.enqueue)
        except IntegrityError:
            continue  # another worker's scheduler claimed this period first
        log.info("scheduled %s for the period starting %s", job.name, start.isoformat())
        enqueued.append(job.name)
    return enqueued


class SchedulerThread(threading.Thread):
    """Calls enqueue_due, then recover_orphans, every ``interval`` seconds until stopped.

    With a ``heartbeat`` (the worker's HeartbeatThread), orphans are recovered only once this worker's own
    heartbeat has been written for GUICHET_WORKER_STALE_SECONDS without a failure: after a database outage
    every worker's heartbeat is old, and a worker must not take its live peers for dead before they had the
    time to beat again.
    """

    def __init__(self, interval: float, heartbeat: HeartbeatThread | None = None) -> None:
        super().__init__(name="guichet-scheduler", daemon=True)
        self.interval = interval
        self.heartbeat = heartbeat
        self.stopped = threading.Event()

    def run(self) -> None:
        database_down = False
        while not self.stopped.is_set():
            try:
                now = datetime.now(UTC)
                enqueue_due(now)
                if (
                    self.heartbeat is None
                    or self.heartbeat.healthy_for() >= settings.GUICHET_WORKER_STALE_SECONDS
                ):
                    recover_orphans(now)
            except DB_ERRORS as exc:  # the database is away: say so once, try again every interval
                if not database_down:
                    log.warning(
                        "scheduler pass failed (%s); retrying every %ss", first_line(exc), self.interval
                    )
                database_down = True
                close_connections()
            except Exception:  # keep the loop alive: a failure must not stop periodic work for good
                log.exception("scheduler pass failed; retrying in %ss", self.interval)
            else:
                if database_down:
                    log.info("scheduler pass done again")
                database_down = False
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)
        close_connections()  # this thread's own: nobody else would close them

    def stop(self) -> None:
        self.stopped.set()
