"""The production shape on one machine: PostgreSQL, gunicorn with several web workers, several task workers
(and optionally the mail receiver), supervised. `make production` or `guichet-production --help`.

It is what a process supervisor (systemd, Kubernetes) would run, put in one command so that the shape can be
tried, load-tested and broken on purpose on one machine:
- the database: DATABASE_URL when set; else a private PostgreSQL cluster under var/postgres (Debian's
  postgresql package), created on first use and kept between runs;
- production settings (DEBUG off), with a SECRET_KEY kept in var/secret_key when none is given;
- migrations and static files, then gunicorn (gunicorn.conf.py), N `guichet worker` processes and
  `guichet mailserver` when --mail-port is given;
- a task worker or the mail receiver that dies is started again after a second (each restart is printed);
  gunicorn itself replaces its dead web workers. If gunicorn's master dies, everything stops.
Ctrl-C or SIGTERM stops the processes (each finishes its request or task) and the private cluster.

No Django import here: the settings depend on the environment this module prepares.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .postgres import PG_BIN_CANDIDATES, PgCluster

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RESTART_DELAY_SECONDS = 1.0


def _say(line: str) -> None:
    print(f"[guichet] {line}", flush=True)


@dataclass
class Child:
    name: str
    argv: list[str]
    restart: bool
    process: subprocess.Popen | None = None
    restarts: int = 0
    died_at: float | None = field(default=None)

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.argv, env=env, cwd=BASE_DIR)  # noqa: S603 - our own argv
        self.died_at = None
        _say(f"started {self.name} pid={self.process.pid}")


def _guichet(*args: str) -> list[str]:
    return [sys.executable, "-m", "guichet.cli", *args]


def _secret_key(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_environment(args, var_dir: Path) -> tuple[dict[str, str], PgCluster | None]:
    env = dict(os.environ)
    env.setdefault("DEBUG", "0")
    env["GUICHET_VAR_DIR"] = str(var_dir)
    env.setdefault("SECRET_KEY", _secret_key(var_dir))
    host = args.bind.rpartition(":")[0] or "127.0.0.1"
    env.setdefault("ALLOWED_HOSTS", ",".join(dict.fromkeys([host, "localhost", "127.0.0.1"])))
    env.setdefault("LOG_FORMAT", "json")
    if args.plain_http:
        # No TLS proxy in front: cookies without the Secure flag, no redirect to https, no HSTS.
        env.update(SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0")
        env["SECURE_HSTS_SECONDS"] = "0"
    cluster = None
    if not env.get("DATABASE_URL"):
        if not PG_BIN_CANDIDATES:
            raise SystemExit(
                "production: DATABASE_URL is not set and PostgreSQL's server is not installed "
                "(apt-get install postgresql), so there is no database to use"
            )
        var_dir.chmod(0o755)  # the postgres user must reach its data directory inside
        cluster = PgCluster(var_dir / "postgres", port=args.pg_port, options="-c max_connections=200")
        fresh = cluster.start()
        _say(f"PostgreSQL {cluster.version()} {'created' if fresh else 'started'} in {cluster.datadir}")
        env["DATABASE_URL"] = cluster.url
    return env, cluster


def _run_once(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, cwd=BASE_DIR, check=False)  # noqa: S603 - our own argv
    if done.returncode != 0:
        raise SystemExit(f"production: {' '.join(argv[2:])} failed with exit code {done.returncode}")


def children(args) -> list[Child]:
    gunicorn = [sys.executable, "-m", "gunicorn", "guichet.wsgi:application"]
    web = Child("web", [*gunicorn, "-c", str(BASE_DIR / "gunicorn.conf.py")], restart=False)
    result = [web]
    result.extend(
        Child(f"task-worker-{n}", _guichet("worker"), restart=True) for n in range(1, args.task_workers + 1)
    )
    if args.mail_port:
        receiver = _guichet("mailserver", "--host", "127.0.0.1", "--port", str(args.mail_port))
        result.append(Child("mail-receiver", receiver, restart=True))
    return result


def supervise(procs: list[Child], env: dict[str, str]) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for child in procs:
            assert child.process is not None
            returncode = child.process.poll()
            if returncode is None:
                continue
            if not child.restart:
                _say(f"{child.name} exited with code {returncode}; stopping everything")
                code = returncode or 1
                stopping = True
                break
            now = time.monotonic()
            if child.died_at is None:
                child.died_at = now
                _say(f"{child.name} pid={child.process.pid} died (code {returncode}); restarting it")
            elif now - child.died_at >= RESTART_DELAY_SECONDS:
                child.restarts += 1
                child.start(env)
        time.sleep(0.2)
    for child in procs:
        if child.process is not None and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 25
    for child in procs:
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.process.kill()
    return code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="guichet-production", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default=os.environ.get("GUNICORN_BIND", "127.0.0.1:8000"))
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--task-workers", type=int, default=2)
    parser.add_argument("--mail-port", type=int, default=0, help="Also run the SMTP receiver on this port.")
    parser.add_argument("--pg-port", type=int, default=55400, help="Port of the private PostgreSQL cluster.")
    parser.add_argument(
        "--plain-http", action="store_true", help="No TLS proxy in front (trying it on one machine)."
    )
    parser.add_argument("--var-dir", default=os.environ.get("GUICHET_VAR_DIR", str(BASE_DIR / "var")))
    args = parser.parse_args(argv)
    if args.web_workers < 1 or args.task_workers < 1:
        parser.error("--web-workers and --task-workers must be at least 1")
    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    env, cluster = prepare_environment(args, var_dir)
    env["GUNICORN_BIND"] = args.bind
    env["WEB_CONCURRENCY"] = str(args.web_workers)
    try:
        _run_once(_guichet("migrate", "--noinput", "-v0"), env)
        _run_once(_guichet("collectstatic", "--noinput", "-v0"), env)
        procs = children(args)
        for child in procs:
            child.start(env)
        scheme = "http" if args.plain_http else "https (behind your TLS proxy)"
        _say(f"Guichet answers on {scheme} at {args.bind}: /healthz /readyz /metrics")
        _say(f"database {env['DATABASE_URL'].rpartition('@')[2]}; create an admin with:")
        _say(f"  DATABASE_URL={env['DATABASE_URL']} DEBUG=0 SECRET_KEY=... guichet createsuperuser")
        _say("Ctrl-C stops everything.")
        code = supervise(procs, env)
    finally:
        if cluster is not None:
            cluster.stop(remove=False)
            _say("PostgreSQL stopped")
    sys.exit(code)


if __name__ == "__main__":
    main()
