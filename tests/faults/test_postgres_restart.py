"""PostgreSQL restarted under load: gunicorn answers a clean 503 (with Retry-After) while the database is
away — never a 500, never a reset connection — and serves again by itself within seconds; the worker
process rides the outage out and runs the next task.

On a private cluster the test owns (it restarts it), whatever DATABASE_URL says; skipped without
PostgreSQL's server binaries (Debian: postgresql)."""

from __future__ import annotations

import http.client
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from guichet.ops.postgres import PgCluster

from .processes import (
    PRODUCTION,
    Child,
    Database,
    Web,
    collectstatic,
    gunicorn,
    migrate,
    wait_for,
    worker,
)

TASKS = "django_tasks_database_dbtaskresult"
pytestmark = pytest.mark.skipif(
    not PgCluster.available(), reason="no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
)


@pytest.fixture
def cluster():
    workdir = Path(tempfile.mkdtemp(prefix="guichet-faults-pg-"))
    workdir.chmod(0o755)  # the postgres user reaches its data directory inside
    pg = PgCluster(workdir / "pg", options="-c fsync=off")
    pg.start()
    yield pg, workdir
    Child.kill_leftovers()  # before their database goes
    pg.stop(remove=True)
    shutil.rmtree(workdir, ignore_errors=True)


class Load:
    """Requests in a loop from two threads — a console page with a session, the API with a token — each
    answer (or exception) kept with its instant."""

    def __init__(self, page: Web, api: Web, ref: str) -> None:
        self.calls = {
            "page": lambda: page.request("GET", "/console/"),
            "api": lambda: api.api("GET", f"/tickets/{ref}"),
        }
        self.results: list[tuple[float, str, object, str | None]] = []
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(kind,)) for kind in self.calls]

    def _loop(self, kind: str) -> None:
        while not self.stopped.is_set():
            at = time.monotonic()
            try:
                answer = self.calls[kind]()
                self.results.append((at, kind, answer.status, answer.headers.get("Retry-After")))
            except (OSError, http.client.HTTPException) as exc:  # a reset, a refused connection
                self.results.append((at, kind, type(exc).__name__, None))
            time.sleep(0.05)

    def start(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def since(self, t: float) -> list[tuple[float, str, object, str | None]]:
        return [r for r in list(self.results) if r[0] >= t]

    def serving_since(self, t: float) -> bool:
        """Both kinds of request answered 200 after ``t``."""
        return {kind for at, kind, status, _ in self.since(t) if status == 200} == set(self.calls)


# One scenario told in order (load, restart, every door's answer, recovery), over the statement limit.
def test_a_postgresql_restart_under_load_fails_requests_cleanly_and_everything_recovers(cluster, smtp):  # noqa: PLR0915
    pg, workdir = cluster
    db = Database(pg.url, workdir)
    static = collectstatic(db)  # meanwhile
    migrate(pg.url, workdir)
    made = db.make("edits")
    ref = made["ref"]
    assert static.wait(60) == 0, static.output()
    # Production settings: DEBUG off changes what an error becomes (django-ninja answers a traceback in
    # DEBUG; in production the error reaches Django's middleware and handlers).
    server, port = gunicorn(db, production=True)
    background = worker(db, "worker", EMAIL_PORT=str(smtp.port), **PRODUCTION)
    page, api = Web(port).login("alice", "pw"), Web(port, token=made["agents"]["bob"]["token"])
    load = Load(page, api, ref).start()
    try:
        started = time.monotonic()
        wait_for(lambda: load.serving_since(started), 20, "requests served before the restart")
        time.sleep(1)

        # 1. pg_ctl restart -m fast: connections cut, the server down for a moment, then up.
        cut = time.monotonic()
        pg.pg_ctl("restart", "-m", "fast")
        restarted = time.monotonic()
        wait_for(lambda: load.serving_since(restarted), 10, "requests served again after the restart")
        first_back = time.monotonic() - restarted

        # 2. A longer outage: stopped for 3 seconds, then started.
        pg.pg_ctl("stop", "-m", "fast")
        down = time.monotonic()
        time.sleep(3)
        starting = time.monotonic()
        pg.pg_ctl("start")
        up = time.monotonic()
        wait_for(lambda: load.serving_since(up), 10, "requests served again after the outage")
        back = time.monotonic() - up
        time.sleep(1)
    finally:
        load.stop()

    results = load.results
    by_status = Counter(str(status) for _, _, status, _ in results)
    during_outage = [r for r in results if down <= r[0] < starting]
    # Only answers, and only 200 or a clean 503 telling when to retry: no 500, no reset, no refusal.
    assert set(by_status) <= {"200", "503"}, by_status
    assert all(retry == "5" for _, _, status, retry in results if status == 503)
    assert during_outage and {status for _, _, status, _ in during_outage} == {503}
    assert {kind for at, kind, status, _ in results if status == 503 and cut <= at < up} == {"page", "api"}
    assert first_back < 5 and back < 5
    # Once back, back for good.
    assert {status for at, _, status, _ in results if at >= up + back} == {200}

    # The worker rode both outages out (the same process, its heartbeat written again) and runs new work: a
    # reply made now is mailed to the customer by it.
    assert background.alive()
    worker_id = db.scalar(f"SELECT worker_id FROM jobs_workerheartbeat WHERE pid = {background.pid}")
    reply = api.api("POST", f"/tickets/{ref}/replies", {"body": "We are on it."})
    assert reply.status == 201
    wait_for(
        lambda: any(f".reply{reply.json()['id']}." in mid for mid in smtp.message_ids()), 40, "the reply mail"
    )
    # The mail is on the wire before the task is marked done: wait for the mark, then look at who ran it.
    query = f"SELECT status, worker_ids FROM {TASKS} WHERE args_kwargs::text LIKE '%\"reply\"%'"
    wait_for(lambda: [status for status, _ in db.rows(query)] == ["SUCCESSFUL"], 10, "the reply task done")
    task = db.rows(query)
    assert [(status, list(ids)) for status, ids in task] == [("SUCCESSFUL", [worker_id])]
    log = background.output()
    assert log.count("database unavailable") >= 1 and "database available again" in log
    assert not [
        line for line in server.output().splitlines() if "guichet.request" in line and " 500 " in line
    ]
    assert server.stop() == 0, server.output()[-3000:]
    assert background.stop() == 0, background.output()[-3000:]
    print(
        f"\npostgresql restart: {len(results)} requests, {dict(by_status)}; served again {first_back:.1f} s "
        f"after pg_ctl restart and {back:.1f} s after a 3 s outage; worker {worker_id} survived "
        f"({log.count('database unavailable')} outages seen)"
    )
