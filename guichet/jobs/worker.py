"""What makes `guichet worker` survive its own death and the database's.

**Tasks of dead workers.** django-tasks-db marks a task RUNNING when a worker claims it, with the worker's
id; a worker killed (kill -9, out of memory, its machine gone) would leave it RUNNING for ever. So each
worker process has an id (host-pid-random) and a ``WorkerHeartbeat`` row that a thread refreshes every
GUICHET_WORKER_HEARTBEAT_SECONDS, and the scheduler pass of every worker calls ``recover_orphans``: a RUNNING
task whose worker has written no heartbeat for GUICHET_WORKER_STALE_SECONDS goes back to READY — or to FAILED
once it has been claimed GUICHET_TASK_MAX_ATTEMPTS times — by a conditional UPDATE, so that several workers
reaping at once recover each task once. Tasks therefore run *at least once*: each must be safe to run again
after a crash at any point (docs/operations.md, "Failures and recovery").

**The database going away.** django-tasks-db's loop re-raises any database error but "database is locked",
so a PostgreSQL restart would end the process. ``GuichetWorker`` catches OperationalError and InterfaceError
around that loop: one log line, connections closed, then it probes the database with a capped backoff (1, 2,
4 … 30 s) and goes on, putting back in the queue the task it was running. A task that failed on a lost
connection (or was interrupted by a second Ctrl-C) is queued again too, up to GUICHET_TASK_MAX_ATTEMPTS.

**Stopping.** django-tasks-db answers a first SIGTERM between tasks with ``sys.exit(0)`` raised wherever the
loop is — possibly in the middle of a database call, leaving the connection in a state the clean-up then
fails on (exit code 1, once in CI). ``GuichetWorker`` only asks the loop to stop: it ends after the task in
hand, or within the poll interval (or at once from the outage backoff). A second signal still exits at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from guichet.ops.errors import first_line

from .models import WorkerHeartbeat

log = logging.getLogger(__name__)
DB_ERRORS = (OperationalError, InterfaceError)
BACKOFF_CAP_SECONDS = 30.0
# A task that failed with one of these did not fail on its own: the connection was lost under it, or the
# operator interrupted it (a second Ctrl-C). It is queued again rather than left failed.
RETRIED_ERRORS = frozenset(
    {
        "django.db.utils.OperationalError",
        "django.db.utils.InterfaceError",
        "builtins.SystemExit",
        "builtins.KeyboardInterrupt",
    }
)


def new_worker_id() -> str:
    """Unique across the pool and readable in the admin: host, pid and a random suffix (64 characters at
    most, django-tasks-db's limit)."""
    host = socket.gethostname().split(".")[0][:40] or "host"
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


def close_connections() -> None:
    """Close this thread's connections, whatever state they are in (the next query reconnects)."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):
            conn.close()


def beat(worker_id: str, started_at: datetime) -> None:
    now = timezone.now()
    if not WorkerHeartbeat.objects.filter(pk=worker_id).update(beat_at=now):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=started_at,
            beat_at=now,
        )


def forget(worker_id: str) -> None:
    """A worker stopping normally removes its row (best effort: a row left behind goes stale)."""
    try:
        WorkerHeartbeat.objects.filter(pk=worker_id).delete()
    except Exception:
        log.warning("worker %s: could not remove its heartbeat row", worker_id)


class HeartbeatThread(threading.Thread):
    """Writes the worker's heartbeat every ``interval`` seconds until stopped; survives database failures."""

    def __init__(self, worker_id: str, interval: float) -> None:
        super().__init__(name="guichet-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = timezone.now()
        self.stopped = threading.Event()
        self._healthy_since: float | None = None

    def healthy_for(self) -> float:
        """Seconds since the heartbeat has been written without a failure (0 while it fails)."""
        since = self._healthy_since
        return 0.0 if since is None else time.monotonic() - since

    def run(self) -> None:
        failing = False
        while not self.stopped.is_set():
            try:
                beat(self.worker_id, self.started_at)
            except Exception as exc:
                self._healthy_since = None
                if not failing:
                    log.warning("worker %s: heartbeat not written (%s)", self.worker_id, first_line(exc))
                failing = True
                close_connections()
            else:
                if self._healthy_since is None:
                    self._healthy_since = time.monotonic()
                if failing:
                    log.info("worker %s: heartbeat written again", self.worker_id)
                failing = False
                close_old_connections()
            self.stopped.wait(self.interval)
        close_connections()  # this thread's own: nobody else would close them

    def stop(self) -> None:
        self.stopped.set()


def recover_orphans(now: datetime | None = None) -> int:
    """Queue again the RUNNING tasks whose worker has gone silent, and delete the heartbeats of dead workers;
    returns how many tasks were recovered. Safe in several workers at once: each task is moved by an UPDATE
    conditional on the state it was read in, so only one of them does it (and logs it)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.GUICHET_WORKER_STALE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    recovered = 0
    # Started before the cutoff too: a worker that claimed a task before its first heartbeat is not dead.
    running = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    for task in running.only("id", "task_path", "worker_ids", "started_at"):
        worker = task.worker_ids[-1] if task.worker_ids else "?"
        if worker in alive:
            continue
        same = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        )
        attempts = len(task.worker_ids)
        if attempts >= settings.GUICHET_TASK_MAX_ATTEMPTS:
            reason = f"its worker died during each of its {attempts} attempts (last: {worker})"
            if same.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="guichet.jobs.worker.WorkerLost",
                traceback=f"WorkerLost: {reason}\n",
            ):
                log.error("task %s (%s) failed: %s", task.pk, task.task_path, reason)
            continue
        if same.update(status=TaskResultStatus.READY, started_at=None):
            recovered += 1
            log.warning(
                "task %s (%s) queued again: its worker %s went silent while running it (attempt %d of %d)",
                task.pk,
                task.task_path,
                worker,
                attempts,
                settings.GUICHET_TASK_MAX_ATTEMPTS,
            )
    for dead in WorkerHeartbeat.objects.filter(beat_at__lt=cutoff):
        if WorkerHeartbeat.objects.filter(pk=dead.pk, beat_at=dead.beat_at).delete()[0]:
            log.warning("worker %s presumed dead: no heartbeat since %s", dead, dead.beat_at.isoformat())
    return recovered


class GuichetWorker(Worker):
    """django-tasks-db's worker loop, kept running through database outages (see the module's docstring)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._current: DBTaskResult | None = None
        self._stopping = threading.Event()

    def shutdown(self, signum, frame) -> None:
        if not self.running:  # the second signal: django-tasks-db's immediate exit
            super().shutdown(signum, frame)
            return
        name = signal.strsignal(signum)
        log.warning("Received %s - shutting down gracefully... (press Ctrl+C again to force)", name)
        self.running = False  # the loop ends after the task in hand, or after its sleep (the poll interval)
        self._stopping.set()

    def run(self) -> None:
        while True:
            try:
                self._release_current()
                super().run()
                return
            except DB_ERRORS as exc:
                if not self.running:
                    return  # stopping anyway; a task left RUNNING is recovered by the other workers
                self._wait_for_database(exc)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # If this raises (the task failed and recording the failure failed too: the database is gone), the
        # task stays RUNNING under our id and _current says which: run() puts it back once the database is.
        self._current = db_task_result
        super().run_task(db_task_result)
        self._current = None
        self._retry_if_interrupted(db_task_result)

    def _wait_for_database(self, exc: BaseException) -> None:
        log.warning(
            "database unavailable (%s): worker %s pauses and retries in 1, 2, 4 … %.0f s",
            first_line(exc),
            self.worker_id,
            BACKOFF_CAP_SECONDS,
        )
        delay, lost_at = 1.0, time.monotonic()
        alias = router.db_for_write(DBTaskResult)
        while True:
            close_connections()
            if self._pause(delay):  # a SIGTERM ends the wait at once
                return
            try:
                with connections[alias].cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DB_ERRORS:
                delay = min(delay * 2, BACKOFF_CAP_SECONDS)
                continue
            log.warning(
                "database available again: worker %s resumes after %.0f s",
                self.worker_id,
                time.monotonic() - lost_at,
            )
            return

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if the worker is told to stop; True if it was."""
        return self._stopping.wait(seconds)

    def _release_current(self) -> None:
        """The task the database went away under is RUNNING under this live worker's id: no other worker
        would ever recover it. Forgotten only once it is back in the queue."""
        task = self._current
        if task is None:
            return
        released = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        ).update(status=TaskResultStatus.READY, started_at=None)
        self._current = None
        if released:
            log.warning("task %s (%s) queued again: the database went away under it", task.pk, task.task_path)

    def _retry_if_interrupted(self, task: DBTaskResult) -> None:
        if task.status != TaskResultStatus.FAILED or task.exception_class_path not in RETRIED_ERRORS:
            return
        attempts = len(task.worker_ids)
        if attempts >= settings.GUICHET_TASK_MAX_ATTEMPTS:
            return
        delay = min(BACKOFF_CAP_SECONDS, 2.0**attempts)
        if DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.FAILED, finished_at=task.finished_at
        ).update(
            status=TaskResultStatus.READY,
            started_at=None,
            finished_at=None,
            run_after=timezone.now() + timedelta(seconds=delay),
            exception_class_path="",
            traceback="",
        ):
            log.warning(
                "task %s (%s) failed with %s, not on its own: queued again in %.0f s (attempt %d of %d)",
                task.pk,
                task.task_path,
                task.exception_class_path,
                delay,
                attempts,
                settings.GUICHET_TASK_MAX_ATTEMPTS,
            )
