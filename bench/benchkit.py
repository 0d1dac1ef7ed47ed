"""What the benchmark scripts share: the machine's description, a free port and a private PostgreSQL
cluster. Imported by the scripts, which run with bench/ first on sys.path."""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A private PostgreSQL cluster in ``datadir``, as .ci/run makes one: initdb as the postgres user (when
    run as root), pg_ctl on a free port on 127.0.0.1, a guichet role and database."""

    def __init__(self, datadir: Path):
        if not PG_BIN_CANDIDATES:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = PG_BIN_CANDIDATES[-1]
        self.datadir = datadir
        self.port = free_port()
        self.running = False

    def _run(self, *cmd: str) -> str:
        line = shlex.join(cmd)
        if os.geteuid() == 0:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", line]
        else:
            argv = ["/bin/sh", "-c", line]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{line} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def version(self) -> str:
        out = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.split()[2] if out.returncode == 0 else "?"

    def start(self) -> bool:
        """Start the cluster (initialising it if new); True when it was created."""
        fresh = not (self.datadir / "PG_VERSION").exists()
        if fresh:
            self.datadir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.datadir, "postgres", "postgres")
            self._run(
                str(self.bin / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        opts = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1"
        log = self.datadir / "server.log"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-l", str(log), "-o", opts, "-w", "start"
        )
        self.running = True
        if fresh:
            psql = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q"]
            self._run(*psql, "-c", "CREATE ROLE guichet LOGIN PASSWORD 'guichet' CREATEDB")
            self._run(*psql, "-c", "CREATE DATABASE guichet OWNER guichet")
        return fresh

    @property
    def url(self) -> str:
        return f"postgres://guichet:guichet@127.0.0.1:{self.port}/guichet"

    def stop(self, remove: bool) -> None:
        if self.running:
            with contextlib.suppress(Exception):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")
            self.running = False
        if remove:
            shutil.rmtree(self.datadir, ignore_errors=True)


def run_child(script: Path, db: str, child_args: list[str], prefix: str) -> dict:
    """Run ``script --child db --result FILE *child_args`` against a fresh database of its own — a SQLite
    file, or a private PostgreSQL cluster — in a temporary directory removed afterwards; return the JSON the
    child wrote (with "error" set when it failed)."""
    import json
    import sys
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix=f"{prefix}-{db}-"))
    os.chmod(workdir, 0o755)  # the postgres user must reach its data directory inside
    env = dict(os.environ, DEBUG="1", DJANGO_SETTINGS_MODULE="guichet.settings", PYTHONUNBUFFERED="1")
    env["GUICHET_VAR_DIR"] = str(workdir / "var")
    result_file = workdir / "result.json"
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
            pg.stop(remove=True)
        shutil.rmtree(workdir, ignore_errors=True)
