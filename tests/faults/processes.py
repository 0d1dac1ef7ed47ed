"""Real processes for the fault tests: a database that child processes share, `guichet worker` children to
start, kill -9 and restart, gunicorn, an SMTP server that counts what it receives, a private PostgreSQL
cluster to restart.

The tests do not use pytest-django's database (on SQLite it lives in memory, out of reach of other
processes): each test gets a database of its own — a copy of a migrated SQLite file, or on PostgreSQL (when
DATABASE_URL says so, as in CI's second pass) a database created from a migrated template on that server.
Data is made by a child process (tests/faults/data.py) and read back by plain SQL.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from http.cookies import SimpleCookie
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode, urlsplit

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(1)

# What every child gets: the real settings in developer mode (the workers send real mail over SMTP), the
# fault tests' short recovery delays, and no variable of the parent's test run that would change them.
DROPPED = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "EMAIL_BACKEND", "LOG_FORMAT", "TASKS_BACKEND"}
FAST_RECOVERY = {
    "GUICHET_SCHEDULER_INTERVAL": "1",
    "GUICHET_WORKER_HEARTBEAT_SECONDS": "1",
    "GUICHET_WORKER_STALE_SECONDS": "3",
}


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.05) -> object:
    """Poll ``condition`` until it returns something true; AssertionError(``what``) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# ------------------------------------------------------------------------------------------------ databases


class Database:
    """One test's database: its URL for the children, and plain SQL for the test."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir
        self.vendor = "sqlite" if url.startswith("sqlite") else "postgresql"
        self._conn = None

    def _connect(self):
        if self._conn is None:
            if self.vendor == "sqlite":
                self._conn = sqlite3.connect(urlsplit(self.url).path, timeout=30, isolation_level=None)
            else:
                import psycopg

                self._conn = psycopg.connect(pg_dsn(self.url), autocommit=True)
        return self._conn

    def rows(self, sql: str) -> list[tuple]:
        for attempt in range(50):  # SQLite: a writer may hold the lock for a moment
            try:
                cursor = self._connect().execute(sql)
                return list(cursor.fetchall())
            except sqlite3.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        return []

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child working on this database."""
        base = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("GUICHET_")}
        var = self.workdir / "var"
        return {
            **base,
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "guichet.settings",
            "DATABASE_URL": self.url,
            "GUICHET_VAR_DIR": str(var),
            "MEDIA_ROOT": str(var / "media"),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "plain",
            "GUICHET_MAIL_DOMAIN": "guichet.example",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": "9",  # nothing listens: a test that expects mail gives its SMTP server's port
            **FAST_RECOVERY,
            **extra,
        }

    def make(self, scenario: str, **kwargs) -> dict:
        """Run ``tests/faults/data.py scenario`` in a child (test settings: fast password hashing, no mail);
        returns the JSON it prints."""
        env = self.env(DJANGO_SETTINGS_MODULE="guichet.test_settings")
        out = run_module(["tests.faults.data", scenario, json.dumps(kwargs)], env, f"data.py {scenario}")
        return json.loads(out.strip().splitlines()[-1])


def pg_dsn(url: str, dbname: str | None = None) -> str:
    parts = urlsplit(url)
    name = dbname or parts.path.lstrip("/")
    return (
        f"host={parts.hostname} port={parts.port or 5432} user={parts.username} "
        f"password={parts.password or ''} dbname={name}"
    )


def with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{dbname}").geturl()


def run_module(argv: list[str], env: dict[str, str], what: str) -> str:
    """``python -m argv`` in the project's directory, to its end (5 minutes at most); its standard output, or
    an AssertionError with everything it printed."""
    done = subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{what} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def migrate(url: str, workdir: Path) -> None:
    run_module(["guichet.cli", "migrate", "--noinput", "-v0"], Database(url, workdir).env(), "migrate")


class Template:
    """A migrated database, copied for each test (migrating takes seconds; a copy, a fraction of one)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        server = os.environ.get("DATABASE_URL", "")
        self.server = server if server.startswith(("postgres://", "postgresql://")) else None
        if self.server is None:
            self.file = workdir / "template.sqlite3"
            migrate(f"sqlite:///{self.file}", workdir)
        else:
            base = urlsplit(self.server).path.lstrip("/") or "guichet"
            self.prefix = f"{base}_{os.getpid()}"
            self.name = f"{self.prefix}_tpl"
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
            migrate(with_dbname(self.server, self.name), workdir)

    @property
    def vendor(self) -> str:
        return "sqlite" if self.server is None else "postgresql"

    def _admin(self, *statements: str) -> None:
        import psycopg

        assert self.server is not None
        with psycopg.connect(pg_dsn(self.server, "postgres"), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def copy(self, workdir: Path) -> Database:
        workdir.mkdir(parents=True, exist_ok=True)
        if self.server is None:
            target = workdir / "guichet.sqlite3"
            shutil.copyfile(self.file, target)
            return Database(f"sqlite:///{target}", workdir)
        name = f"{self.prefix}_{next(_numbers)}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return Database(with_dbname(self.server, name), workdir)

    def drop(self, db: Database) -> None:
        db.close()
        if self.server is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{urlsplit(db.url).path.lstrip("/")}" WITH (FORCE)')

    def remove(self) -> None:
        if self.server is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# ------------------------------------------------------------------------------------------------ processes


class Child:
    """A child process whose output goes to a file (read it with ``output()``). Each is started in a process
    group of its own; ``kill_leftovers`` ends those a failed test left running."""

    started: ClassVar[list[Child]] = []

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> Child:
        self._out = open(self.log, "ab")  # noqa: SIM115 - closed in wait()
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        Child.started.append(self)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no handler runs, nothing is cleaned up."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as a process supervisor stops it; returns the exit code."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(10)
        self._out.close()
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @classmethod
    def kill_leftovers(cls) -> None:
        while cls.started:
            child = cls.started.pop()
            if child.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)  # gunicorn's workers too
                child.wait(10)


def worker(db: Database, name: str, **env: str) -> Child:
    """A `guichet worker` (scheduler included, as in production) on ``db``, started."""
    argv = [sys.executable, "-m", "guichet.cli", "worker", "--interval", "0.2"]
    return Child(argv, db.env(**env), db.workdir / f"{name}.log").start()


PRODUCTION = {  # DEBUG off, over plain HTTP on 127.0.0.1 (no TLS proxy in front in the tests)
    "DEBUG": "0",
    "SECRET_KEY": "fault-tests-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
}


def collectstatic(db: Database) -> Child:
    """Production serves the collected, hashed static files: collect them (seconds: start it early)."""
    argv = [sys.executable, "-m", "guichet.cli", "collectstatic", "--noinput", "-v0"]
    return Child(argv, db.env(**PRODUCTION), db.workdir / "collectstatic.log").start()


def gunicorn(
    db: Database, name: str = "gunicorn", workers: int = 2, production: bool = False
) -> tuple[Child, int]:
    """The production web server (gunicorn.conf.py: preloaded application, sync workers) on ``db``, started
    and answering; returns it and its port. ``production``: DEBUG off too (run ``collectstatic`` first)."""
    port = free_port()
    env = db.env(
        GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), **(PRODUCTION if production else {})
    )
    server = Child(
        [sys.executable, "-m", "gunicorn", "guichet.wsgi:application", "-c", "gunicorn.conf.py"],
        env,
        db.workdir / f"{name}.log",
    ).start()
    web = Web(port)

    def up() -> bool:
        assert server.alive(), server.output()
        try:
            return web.request("GET", "/accounts/login/").status == 200
        except OSError:
            return False

    wait_for(up, 60, "gunicorn", every=0.2)
    return server, port


# ------------------------------------------------------------------------------------------------------- web


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def json(self):
        return json.loads(self.text)


class Web:
    """A client of one user over real HTTP: one connection per request (a reset shows as an exception),
    cookies kept (the session), nothing followed."""

    def __init__(self, port: int, token: str = "") -> None:
        self.port = port
        self.token = token
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Connection": "close", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            text = answer.read().decode(errors="replace")
        finally:
            conn.close()
        for value in answer.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(value).items():
                self.cookies[key] = morsel.value
        return Response(answer.status, answer.headers, text)

    def api(self, method: str, path: str, payload: dict | None = None) -> Response:
        body = json.dumps(payload).encode() if payload is not None else None
        return self.request(method, f"/api/v1{path}", body, {"Content-Type": "application/json"})

    def form(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def csrf(self, page: Response) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, page.text[:500]
        return found.group(1)

    def login(self, username: str, password: str) -> Web:
        page = self.request("GET", "/accounts/login/")
        answer = self.form(
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf(page)},
        )
        assert answer.status == 302, answer.text[:500]
        return self


# ------------------------------------------------------------------------------------------------------ mail


class SmtpSink:
    """A real SMTP server (aiosmtpd) in this process; keeps each accepted mail's Message-ID and recipients.

    ``on_message(message_id, count)``, when set, is called with each mail once it is kept and before the
    server answers 250: a test kills the sending worker there, the worst moment (the mail is delivered, the
    worker never learns it, its transaction never commits)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: ten lines per mail otherwise
        self.port = free_port()
        self.received: list[tuple[str, tuple[str, ...]]] = []
        self.on_message: Callable[[str, int], None] | None = None
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.received.append((str(message["Message-ID"]), tuple(envelope.rcpt_tos)))
            count = len(self.received)
        if self.on_message is not None:
            self.on_message(str(message["Message-ID"]), count)
        return "250 2.0.0 OK"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def message_ids(self) -> list[str]:
        with self._lock:
            return [mid for mid, _ in self.received]
