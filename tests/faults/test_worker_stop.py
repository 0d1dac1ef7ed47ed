"""SIGTERM a busy `guichet worker` at any moment of its loop, as a supervisor or a deploy does: it stops
cleanly every time — exit code 0, the task in hand finished, none left RUNNING.

django-tasks-db's own answer to the first signal between two tasks is ``sys.exit(0)`` raised wherever the
loop is, possibly between claiming a task and running it (the task is then left RUNNING for the reaper) or
in the middle of a database call (once in CI: exit code 1). guichet/jobs/worker.py, "Stopping", only asks
the loop to stop. No test can aim at that instant: this one stops a worker busy with a stream of short tasks
at random moments; with django-tasks-db's behaviour back, 40 such stops on PostgreSQL left a task RUNNING.
Real processes on a real database.
"""

from __future__ import annotations

import random
import time

from .processes import wait_for, worker
from .test_worker_kill import running

ROUNDS = 12
DONE = (
    "SELECT count(*) FROM django_tasks_database_dbtaskresult "
    "WHERE task_path = 'guichet.billing.tasks.send_invoice' AND status = 'SUCCESSFUL'"
)


def test_a_busy_worker_told_to_stop_at_any_moment_stops_cleanly(fault_db):
    db = fault_db
    # The month's run, then one invoice-mail task per organisation: a stream of short tasks (these
    # organisations have no billing contact, so each finds no one to mail), claims and polls in between.
    db.make("billing", organisations=600)
    rng = random.Random(2026)
    took = []
    for n in range(ROUNDS):
        busy = worker(db, f"worker-{n}")
        done = db.scalar(DONE)
        wait_for(lambda done=done: db.scalar(DONE) > done, 90, "the worker at work", every=0.01)
        time.sleep(rng.random() * 0.01)  # somewhere in a task, a claim or a poll
        stopped_at = time.monotonic()
        code = busy.stop()
        took.append(time.monotonic() - stopped_at)
        log = busy.output()
        assert code == 0, log[-3000:]
        assert "shutting down gracefully" in log
        assert running(db) == []  # the task in hand was finished, not left for the reaper
    assert max(took) < 5
    print(f"\nworker stop: {ROUNDS} SIGTERMs mid-work, all exit 0, in {max(took):.2f} s at most")
