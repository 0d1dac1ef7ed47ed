"""What the benchmark scripts share: the machine's description, a free port, a private PostgreSQL cluster
(guichet.ops.postgres) and a child process on a fresh database. Imported by the scripts, which run with
bench/ first on sys.path."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

from guichet.ops.postgres import PG_BIN_CANDIDATES, PgCluster, free_port

__all__ = [
    "PG_BIN_CANDIDATES",
    "PgCluster",
    "cpu_model",
    "free_port",
    "machine",
    "run_child",
    "run_databases",
    "timed_gets",
]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine() -> str:
    """The header line of every benchmark's output: date, processor, CPUs, Python."""
    import datetime as dt

    return (
        f"== {dt.date.today()} · {cpu_model()} · {os.cpu_count()} CPUs · Python {platform.python_version()}"
    )


def run_databases(
    which: str, script: Path, child_args: list[str], prefix: str, keep: str | None = None
) -> dict[str, dict]:
    """``run_child`` on SQLite, PostgreSQL or both (``which``: sqlite, postgres or both), a banner before
    each; the results by database."""
    results = {}
    for db in ["sqlite", "postgres"] if which == "both" else [which]:
        print(f"==================== {db} ====================", flush=True)
        results[db] = run_child(script, db, child_args, prefix, keep=keep)
    print("==================== summary ====================", flush=True)
    return results


def run_child(script: Path, db: str, child_args: list[str], prefix: str, keep: str | None = None) -> dict:
    """Run ``script --child db --result FILE *child_args`` against a database of its own — a SQLite file, or
    a private PostgreSQL cluster — in a temporary directory removed afterwards, or, with ``keep``, in
    ``keep/db``, kept for later runs (the child finds it in ``GUICHET_BENCH_KEPT``: bench/dataset.py); return
    the JSON the child wrote (with "error" set when it failed)."""
    import json
    import sys
    import tempfile

    if keep:
        workdir = Path(keep).resolve() / db
        workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(workdir.parent, 0o755)
    else:
        workdir = Path(tempfile.mkdtemp(prefix=f"{prefix}-{db}-"))
    os.chmod(workdir, 0o755)  # the postgres user must reach its data directory inside
    env = dict(os.environ, DEBUG="1", DJANGO_SETTINGS_MODULE="guichet.settings", PYTHONUNBUFFERED="1")
    if keep:
        env["GUICHET_BENCH_KEPT"] = str(workdir)
    env["GUICHET_VAR_DIR"] = str(workdir / "var")
    result_file = workdir / "result.json"
    result_file.unlink(missing_ok=True)
    pg = None
    try:
        if db == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{workdir / 'guichet.sqlite3'}"
        else:
            pg = PgCluster(workdir / "pg")
            print(
                f"== PostgreSQL {pg.version()}: private cluster in {pg.datadir}, port {pg.port}", flush=True
            )
            pg.start()
            env["DATABASE_URL"] = pg.url
        argv = [sys.executable, str(script), "--child", db, "--result", str(result_file), *child_args]
        rc = subprocess.run(argv, env=env, cwd=script.resolve().parent.parent, check=False).returncode
        result = json.loads(result_file.read_text()) if result_file.exists() else {}
        if rc != 0:
            result["error"] = f"child exited with {rc}"
        return result
    finally:
        if pg is not None:
            pg.stop(remove=not keep)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def database_server(connection) -> str:
    """The database a child measures, as its results name it: "SQLite 3.40.1" or "PostgreSQL 15.18"."""
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return f"PostgreSQL {cur.fetchone()[0]}"


WARM_UP = 4  # requests before the timed ones: both gunicorn workers connected, their code loaded


def timed_gets(conn, path: str, headers: dict, reps: int, who: str) -> tuple[list[float], bytes]:
    """``reps`` timed GETs of ``path`` on the keep-alive connection ``conn``, after ``WARM_UP`` untimed
    ones: their durations in seconds and the last body. Anything but a 200 stops the benchmark."""
    import time

    times = []
    body = b""
    for i in range(reps + WARM_UP):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path} as {who}: HTTP {resp.status} {body[:300]!r}")
        if i >= WARM_UP:
            times.append(time.perf_counter() - t0)
    return times, body
