"""kill -9 a `guichet worker` in the middle of an escalation sweep, of its notification mails, of an IMAP poll
and of a billing run, then start another: nothing is lost, nothing is done twice.

Real processes on a real database (SQLite file or PostgreSQL), a real SMTP server and a real IMAP server.
The killed worker's task stays RUNNING; the next worker's scheduler finds that its worker has stopped
beating (GUICHET_WORKER_STALE_SECONDS, 3 s here) and queues it again (guichet/jobs/worker.py).
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from email.message import EmailMessage

from imap_tools import MailBoxUnencrypted

from tests import dovecot

from .processes import Database, wait_for, worker

TASKS = "django_tasks_database_dbtaskresult"


def running(db: Database) -> list[tuple[str, str]]:
    """(id, task path) of the tasks marked RUNNING."""
    return [(str(i), p) for i, p in db.rows(f"SELECT id, task_path FROM {TASKS} WHERE status = 'RUNNING'")]


def attempts(db: Database, task_id: str) -> tuple[str, list[str]]:
    """A task's status and the workers that claimed it, in order."""
    status, workers = db.rows(f"SELECT status, worker_ids FROM {TASKS} WHERE id = '{task_id}'")[0]
    return status, json.loads(workers) if isinstance(workers, str) else workers


def settled(db: Database, tasks: list[tuple[str, str]]) -> bool:
    """Whether each of ``tasks`` has reached an end (a recovered task is READY until a worker claims it)."""
    return all(attempts(db, task_id)[0] not in ("READY", "RUNNING") for task_id, _ in tasks)


def assert_recovered(db: Database, orphans: list[tuple[str, str]]) -> None:
    """Each task left RUNNING by a killed worker was run again to the end by another worker."""
    for task_id, path in orphans:
        status, workers = attempts(db, task_id)
        assert status == "SUCCESSFUL", (path, status)
        assert len(workers) >= 2 and workers[-1] != workers[0], (path, workers)


def recovery_lines(*workers) -> list[str]:
    return [line for w in workers for line in w.output().splitlines() if "queued again" in line]


def test_escalations_and_their_mails_are_neither_lost_nor_doubled(fault_db, smtp):
    db = fault_db
    clocks = db.make("escalation", tickets=300)["clocks"]  # 900 clocks past due: sweep batches of 500
    mail = {"EMAIL_PORT": str(smtp.port)}

    def breaches():
        return db.scalar("SELECT count(*) FROM tickets_notification WHERE kind = 'sla_breach'")

    def mailed():
        return db.scalar("SELECT count(*) FROM tickets_notification WHERE emailed_at IS NOT NULL")

    # 1. Killed in the middle of the sweep: its first batch committed, the second in progress.
    first = worker(db, "worker-1", **mail)
    wait_for(lambda: 0 < breaches() < clocks, 60, "the sweep's first batch")
    first.kill()
    cut_sweep = running(db)
    at_kill = breaches()
    assert 0 < at_kill < clocks
    assert [path for _, path in cut_sweep] == ["guichet.tickets.tasks.escalation_sweep"]

    # 2. The next worker finishes the sweep and mails; it is killed at the worst moment: the SMTP server has
    # the 700th mail (so one of the sweep's second batch: the first one's 500 mails went first, the sweep
    # queued the rest when it finished), the worker has neither its 250 nor committed.
    second = worker(db, "worker-2", **mail)
    cut_at: list[str] = []

    def kill_during_the_700th(message_id: str, count: int) -> None:
        if count == 700 and not cut_at:
            cut_at.append(message_id)
            os.kill(second.pid, signal.SIGKILL)

    smtp.on_message = kill_during_the_700th
    wait_for(lambda: not second.alive(), 60, "the kill during the 700th mail")
    second.kill()  # reaps it
    smtp.on_message = None
    cut_mail = running(db)
    sent_at_kill = len(smtp.received)
    assert breaches() == clocks and mailed() == sent_at_kill - 1 == 699
    # (The first worker's sweep may still be RUNNING too, if it was not recovered yet: a new minute's sweep
    # can have finished the work first.)
    assert "guichet.tickets.notifications.send_notification" in [path for _, path in cut_mail]

    # 3. A third worker mails the rest.
    third = worker(db, "worker-3", **mail)
    wait_for(
        lambda: mailed() == clocks and not running(db) and settled(db, cut_sweep + cut_mail),
        60,
        "every notification mailed and the tasks cut short run again",
    )
    assert third.stop() == 0, third.output()[-3000:]

    # Each breach recorded and notified exactly once: one notification and one audit event per clock.
    assert breaches() == clocks
    doubled = db.rows(
        "SELECT ticket_id, clock FROM tickets_notification WHERE kind = 'sla_breach' "
        "GROUP BY ticket_id, clock HAVING count(*) > 1"
    )
    assert doubled == []
    assert db.scalar("SELECT count(*) FROM tickets_slaclock WHERE breach_notified_at IS NULL") == 0
    assert db.scalar("SELECT count(*) FROM audit_auditevent WHERE action = 'sla.breached'") == clocks
    # Each notification mailed: every Message-ID arrived once, but the one whose worker died between the
    # SMTP server's acceptance and the commit: mailed again by the recovered task, with the same Message-ID
    # (mail servers and clients that suppress duplicates drop it). At-least-once, said honestly.
    ids = [f"<notification.{pk}@guichet.example>" for (pk,) in db.rows("SELECT id FROM tickets_notification")]
    received = smtp.message_ids()
    assert sorted(set(received)) == sorted(ids)
    repeated = len(received) - len(set(received))
    assert [mid for mid, n in Counter(received).items() if n > 1] == cut_at and repeated == 1
    assert {rcpt for _, rcpts in smtp.received for rcpt in rcpts} == {"sue@provider.example"}
    # The two tasks cut short were queued again by the next worker and run to the end.
    orphans = sorted(set(cut_sweep + cut_mail))
    assert_recovered(db, orphans)
    recovered = recovery_lines(second, third)
    assert len(recovered) >= len(orphans)  # one line per recovery (a task cut twice: two)
    print(
        f"\nescalation: {clocks} breaches; killed at {at_kill} recorded, then with {sent_at_kill} mails sent;"
        f" {len(recovered)} tasks recovered; {len(received)} mails received, {len(set(received))} distinct,"
        f" {repeated} repeated"
    )


def raw_mail(i: int, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@guichet.example"
    message["Subject"] = f"Line {i} is down"
    message["Message-ID"] = f"<fault-{i}@acme.example>"
    message["Date"] = "Mon, 30 Nov 2026 09:00:00 +0100"
    message.set_content(f"Line {i} has been down since this morning.\n\n-- \nAcme")
    return message.as_bytes()


def test_mail_polled_by_a_killed_worker_is_filed_once_and_flagged_seen(
    fault_db, smtp, imap_server, imap_user
):
    db = fault_db
    total = 300
    senders = db.make(
        "mailbox",
        host="127.0.0.1",
        port=imap_server.port,
        user=imap_user,
        password=dovecot.PASSWORD,
        senders=10,
    )["senders"]
    with MailBoxUnencrypted("127.0.0.1", imap_server.port).login(imap_user, dovecot.PASSWORD) as server:
        for i in range(total):
            server.append(raw_mail(i, senders[i % len(senders)]), "INBOX")
    env = {"EMAIL_PORT": str(smtp.port), "GUICHET_IMAP_BATCH": "1000"}

    def filed():
        return db.scalar("SELECT count(*) FROM channels_inboundmail")

    workers, cut = [], []
    for n, share in enumerate((1 / 3, 2 / 3), start=1):  # killed at a third, then at two thirds
        workers.append(worker(db, f"worker-{n}", **env))
        wait_for(lambda share=share: total * share <= filed() < total, 90, f"{share:.0%} of the mail filed")
        workers[-1].kill()
        cut += running(db)
        assert filed() < total
    workers.append(worker(db, "worker-3", **env))
    wait_for(lambda: filed() == total, 90, "all the mail filed")

    def unseen():
        with MailBoxUnencrypted("127.0.0.1", imap_server.port).login(imap_user, dovecot.PASSWORD) as server:
            return server.uids("UNSEEN")

    wait_for(lambda: not unseen(), 30, "every message flagged \\Seen")
    tickets = db.scalar("SELECT count(*) FROM tickets_ticket")
    wait_for(
        lambda: len(set(smtp.message_ids())) == tickets and not running(db) and settled(db, cut),
        60,
        "the acknowledgements and the polls cut short run again",
    )
    assert workers[-1].stop() == 0, workers[-1].output()[-3000:]

    # Every message filed once, by its Message-ID: one InboundMail, one ticket each.
    ids = {mid for (mid,) in db.rows("SELECT message_id FROM channels_inboundmail")}
    assert ids == {f"fault-{i}@acme.example" for i in range(total)}
    assert filed() == total and tickets == total
    assert db.scalar("SELECT count(*) FROM channels_deadletter") == 0
    subjects = {s for (s,) in db.rows("SELECT subject FROM tickets_ticket")}
    assert subjects == {f"Line {i} is down" for i in range(total)}
    # Each ticket acknowledged to its sender once (a repeat, if a kill fell between send and commit, has
    # the same Message-ID).
    received = smtp.message_ids()
    assert len(set(received)) == total and len(received) - total <= len(cut)
    assert all(mid.startswith("<ticket-") for mid in received)
    assert_recovered(db, [t for t in cut if t[1].endswith("poll_mailboxes")])
    print(
        f"\nmail: {total} messages; {len(cut)} tasks cut ({', '.join(p.rsplit('.', 1)[1] for _, p in cut)}); "
        f"{len(recovery_lines(*workers))} recovered; {filed()} filed, {tickets} tickets, "
        f"{len(received)} acknowledgements ({len(set(received))} distinct)"
    )


def test_a_billing_run_cut_twice_invoices_each_organisation_once_with_no_gap(fault_db):
    db = fault_db
    made = db.make("billing", organisations=300)
    total = made["organisations"]

    def invoices():
        return db.scalar("SELECT count(*) FROM billing_invoice")

    # The first worker's scheduler enqueues the month's run; it commits 100 organisations at a time.
    workers, cut = [], []
    for n, done in enumerate((100, 200), start=1):
        workers.append(worker(db, f"worker-{n}"))
        wait_for(lambda done=done: done <= invoices() < total, 90, f"{done} invoices")
        workers[-1].kill()
        cut += running(db)
        assert invoices() < total
    # Restarted workers do not enqueue that period again (it is claimed): only the recovery finishes it.
    workers.append(worker(db, "worker-3"))
    wait_for(lambda: invoices() == total and not running(db), 90, "every organisation invoiced")
    assert workers[-1].stop() == 0, workers[-1].output()[-3000:]

    billing = [t for t in cut if t[1] == "guichet.billing.tasks.monthly_billing"]
    assert len(billing) == 2 and billing[0][0] == billing[1][0]  # the same task, cut twice
    status, claimed = attempts(db, billing[0][0])
    assert status == "SUCCESSFUL" and len(claimed) == 3
    assert db.scalar("SELECT count(*) FROM jobs_scheduledrun WHERE job = 'monthly-billing'") == 1
    # Each organisation invoiced once; numbers 1..300 with neither gap nor double; the counter agrees.
    assert db.scalar("SELECT count(DISTINCT organisation_id) FROM billing_invoice") == total
    numbers = sorted(n for (n,) in db.rows("SELECT number FROM billing_invoice"))
    year = numbers[0].split("-")[1]
    assert numbers == [f"F-{year}-{n:06d}" for n in range(1, total + 1)]
    assert db.scalar("SELECT last FROM billing_invoicecounter WHERE series = 'F'") == total
    assert db.scalar("SELECT count(*) FROM audit_auditevent WHERE action = 'invoice.issued'") == total
    assert db.scalar("SELECT count(*) FROM billing_invoiceline") == total
    print(
        f"\nbilling: {total} organisations; run cut at {', '.join(str(d) for d in (100, 200))}+ invoices, "
        f"claimed {len(claimed)} times; {len(recovery_lines(*workers))} recoveries; numbers {numbers[0]}…"
        f"{numbers[-1]}"
    )


def test_several_workers_started_together_enqueue_each_period_once(fault_db):
    """Four schedulers race for the same periods (on PostgreSQL the unique index makes the losers wait, then
    fail); two are killed and started again: each (job, period) is still claimed and enqueued once."""
    db = fault_db
    workers = [worker(db, f"worker-{n}") for n in range(4)]
    jobs = 9  # guichet/jobs/schedule.py

    def claimed():
        return db.scalar("SELECT count(*) FROM jobs_scheduledrun")

    wait_for(
        lambda: claimed() >= jobs and db.scalar("SELECT count(*) FROM jobs_workerheartbeat") == 4, 30, ""
    )
    for w in workers[:2]:
        w.kill()
    workers += [worker(db, f"worker-{n}") for n in (4, 5)]
    wait_for(
        lambda: db.scalar(f"SELECT count(*) FROM {TASKS} WHERE status = 'SUCCESSFUL'") >= jobs, 30, "jobs run"
    )
    live = {w.pid for w in workers[2:]}
    beats = "SELECT pid FROM jobs_workerheartbeat"
    wait_for(lambda: {pid for (pid,) in db.rows(beats)} == live, 30, "the dead workers' heartbeats removed")
    for w in workers[2:]:
        assert w.stop() == 0, w.output()[-3000:]
    runs = db.rows("SELECT job, period_start, task_result_id FROM jobs_scheduledrun")
    assert len({(job, start) for job, start, _ in runs}) == len(runs) >= jobs
    enqueued = {str(i).replace("-", "") for (i,) in db.rows(f"SELECT id FROM {TASKS}")}
    assert enqueued == {task_id.replace("-", "") for _, _, task_id in runs}  # one task per claim, no other
    assert db.rows(beats) == []  # the workers stopped normally removed theirs
