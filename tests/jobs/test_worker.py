"""The worker's recovery, piece by piece: orphaned tasks queued again once, a task that keeps killing its
worker given up, a task that lost its connection retried, the loop waiting for the database. The same with
real processes and kill -9: tests/faults/."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from guichet.jobs import worker as machinery
from guichet.jobs.mail import message_id, send_once
from guichet.jobs.models import SentMail, WorkerHeartbeat
from guichet.jobs.tasks import prune_finished_work

calls = {"flaky": 0}


@task()
def flaky() -> str:
    """Fails on a lost connection the first time, as a task does while the database restarts."""
    calls["flaky"] += 1
    if calls["flaky"] == 1:
        raise OperationalError("server closed the connection unexpectedly")
    return "done"


def claimed_by(worker_id: str, minutes_ago: float, claims: int = 1) -> DBTaskResult:
    row = DBTaskResult.objects.get(pk=prune_finished_work.enqueue().id)
    for n in range(claims):
        row.claim(worker_id if n == claims - 1 else f"earlier-{n}")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(minutes=minutes_ago))
    row.refresh_from_db()
    return row


def heartbeat(worker_id: str, minutes_ago: float) -> None:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    WorkerHeartbeat.objects.create(worker_id=worker_id, hostname="h", pid=1, started_at=at, beat_at=at)


@pytest.mark.django_db
def test_the_tasks_of_a_silent_worker_are_queued_again_once_and_its_heartbeat_removed(caplog):
    heartbeat("dead", minutes_ago=5)
    heartbeat("alive", minutes_ago=0)
    orphan = claimed_by("dead", minutes_ago=5)
    busy = claimed_by("alive", minutes_ago=5)  # a long task of a live worker
    unknown = claimed_by("db_worker-without-heartbeat", minutes_ago=5)
    fresh = claimed_by("just-started", minutes_ago=0)  # claimed before its worker's first beat, maybe
    assert machinery.recover_orphans() == 2
    statuses = {r.pk: (r.status, r.started_at) for r in DBTaskResult.objects.all()}
    assert statuses[orphan.pk] == ("READY", None) and statuses[unknown.pk] == ("READY", None)
    assert statuses[busy.pk][0] == statuses[fresh.pk][0] == "RUNNING"
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]
    assert "queued again: its worker dead went silent" in caplog.text
    assert "presumed dead" in caplog.text
    assert machinery.recover_orphans() == 0  # a second reaper finds nothing left to do


@pytest.mark.django_db
def test_a_reaper_that_read_a_task_before_another_moved_it_changes_nothing(monkeypatch, caplog):
    from django_tasks_db.models import DBTaskResultQuerySet

    read = claimed_by("dead", minutes_ago=5)  # what a slow reaper read
    DBTaskResult.objects.filter(pk=read.pk).update(status="READY", started_at=None)  # a faster one moved it
    DBTaskResult.objects.get(pk=read.pk).claim("next-worker")  # and a worker took it again

    class StaleRead:
        def filter(self, **kwargs):
            return self

        def only(self, *fields):
            return [read]

    monkeypatch.setattr(DBTaskResultQuerySet, "running", lambda self: StaleRead())
    assert machinery.recover_orphans() == 0  # its UPDATE is conditional on the state it read
    row = DBTaskResult.objects.get(pk=read.pk)
    assert (row.status, row.worker_ids[-1]) == ("RUNNING", "next-worker")
    assert "queued again" not in caplog.text


@pytest.mark.django_db
def test_a_task_that_killed_its_worker_at_each_attempt_is_given_up(settings, caplog):
    settings.GUICHET_TASK_MAX_ATTEMPTS = 3
    poison = claimed_by("third", minutes_ago=5, claims=3)
    assert machinery.recover_orphans() == 0
    poison.refresh_from_db()
    assert poison.status == "FAILED" and poison.exception_class_path == "guichet.jobs.worker.WorkerLost"
    assert "died during each of its 3 attempts" in caplog.text


# The worker closes its connections between tasks: on PostgreSQL that needs a test that commits for real.
@pytest.mark.django_db(transaction=True)
def test_a_task_that_lost_its_database_connection_is_queued_again_and_then_runs(caplog, monkeypatch):
    calls["flaky"] = 0
    result = flaky.enqueue()
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    row = DBTaskResult.objects.get(pk=result.id)
    assert (row.status, row.exception_class_path, len(row.worker_ids)) == ("READY", "", 1)
    assert row.run_after > timezone.now()  # after a short pause
    assert "failed with django.db.utils.OperationalError, not on its own: queued again" in caplog.text
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    row.refresh_from_db()
    assert (row.status, row.return_value, len(row.worker_ids)) == ("SUCCESSFUL", "done", 2)
    assert not WorkerHeartbeat.objects.exists()  # each run removed its heartbeat on the way out


@pytest.mark.django_db(transaction=True)
def test_the_worker_waits_for_the_database_then_goes_on(caplog, monkeypatch):
    from django_tasks_db.models import DBTaskResultQuerySet

    result = prune_finished_work.enqueue()
    real, failures, slept = DBTaskResultQuerySet.get_locked, [2], []

    def down_twice(self):
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("connection refused")
        return real(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", down_twice)
    pause = lambda worker, seconds: slept.append(seconds) or False  # noqa: E731 - a one-line stand-in
    monkeypatch.setattr(machinery.GuichetWorker, "_pause", pause)
    probes = []
    monkeypatch.setattr(machinery, "connections", _Connections(probes, fail=1))
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert caplog.text.count("database unavailable (connection refused)") == 2
    assert caplog.text.count("database available again") == 2
    assert [s for s in slept if s] == [
        1.0,
        2.0,
        1.0,
    ]  # backoff 1, 2 (one failed probe), then reset for the next outage


@pytest.mark.django_db(transaction=True)
def test_the_task_the_database_went_away_under_is_queued_again_by_its_own_worker(caplog, monkeypatch):
    calls["flaky"] = 0
    result = flaky.enqueue()
    real, broken = DBTaskResult.set_failed, [1]

    def set_failed(self, exc):  # the failure cannot even be recorded: the database is gone
        if broken[0]:
            broken[0] -= 1
            raise OperationalError("terminating connection due to administrator command")
        return real(self, exc)

    monkeypatch.setattr(DBTaskResult, "set_failed", set_failed)
    monkeypatch.setattr(machinery.GuichetWorker, "_pause", lambda worker, seconds: False)
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    row = DBTaskResult.objects.get(pk=result.id)
    # Left RUNNING under a live worker's id, no reaper would take it: the worker itself puts it back.
    assert (row.status, row.return_value, len(row.worker_ids)) == ("SUCCESSFUL", "done", 2)
    assert "queued again: the database went away under it" in caplog.text


class _Connections:
    """Stands in for django.db.connections in the worker module: the probes fail ``fail`` times."""

    def __init__(self, probes, fail):
        from django.db import connections

        self.real, self.probes, self.fail = connections, probes, fail

    def all(self, initialized_only=False):
        return self.real.all(initialized_only=initialized_only)

    def __getitem__(self, alias):
        outer = self

        class Probe:
            def cursor(self):
                outer.probes.append(alias)
                if outer.fail:
                    outer.fail -= 1
                    raise OperationalError("still down")
                return outer.real[alias].cursor()

        return Probe()


@pytest.mark.django_db
def test_send_once_sends_a_mail_once_with_its_message_id(mailoutbox, settings):
    from django.core.mail import EmailMessage

    settings.GUICHET_MAIL_DOMAIN = "guichet.example"
    for _ in range(2):
        send_once(EmailMessage("Hi", "Body", to=["ann@example.com"]), "claim-decision", 7, "Ann@Example.com")
    assert len(mailoutbox) == 1 and SentMail.objects.count() == 1
    mid = mailoutbox[0].extra_headers["Message-ID"]
    assert mid == message_id("claim-decision", 7, "ann@example.com") and "@" not in mid[1:-1].split("@")[0]
    assert mid.startswith("<claim-decision.7.") and mid.endswith("@guichet.example>")
