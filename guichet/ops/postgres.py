"""A private PostgreSQL cluster in a directory of ours, made and driven with Debian's server binaries (package
postgresql): for `guichet production` without a DATABASE_URL, the benchmarks and the fault tests. No Django
import: it runs before settings are read."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgCluster:
    """A private PostgreSQL cluster in ``datadir``, as .ci/run makes one: initdb as the postgres user (when
    run as root), pg_ctl on a free port on 127.0.0.1, a guichet role and database. ``options`` are extra
    server settings (``-c max_connections=200``; the fault tests add ``-c fsync=off``)."""

    def __init__(self, datadir: Path, port: int | None = None, options: str = ""):
        if not PG_BIN_CANDIDATES:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = PG_BIN_CANDIDATES[-1]
        self.datadir = datadir
        self.port = port or free_port()
        self.options = options
        self.running = False

    @staticmethod
    def available() -> bool:
        return bool(PG_BIN_CANDIDATES) and (PG_BIN_CANDIDATES[-1] / "pg_ctl").exists()

    def _run(self, *cmd: str) -> str:
        line = shlex.join(cmd)
        if os.geteuid() == 0:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", line]
        else:
            argv = ["/bin/sh", "-c", line]
        done = subprocess.run(  # noqa: S603 - our own argv
            argv, capture_output=True, text=True, check=False, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"{line} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def version(self) -> str:
        out = subprocess.run(  # noqa: S603 - the server binary found above
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=False
        )
        return out.stdout.split()[2] if out.returncode == 0 else "?"

    def pg_ctl(self, action: str, *extra: str) -> None:
        """Run ``pg_ctl ACTION`` on the cluster (start, stop, restart; ``-m fast`` and such in ``extra``),
        waiting until it is done."""
        opts = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 {self.options}".strip()
        log = str(self.datadir / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-l", log, "-o", opts, "-w", action, *extra
        )

    def start(self) -> bool:
        """Start the cluster (initialising it if new); True when it was created."""
        fresh = not (self.datadir / "PG_VERSION").exists()
        if fresh:
            self.datadir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.datadir, "postgres", "postgres")
            initdb = [str(self.bin / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust"]
            self._run(*initdb, "-E", "UTF8", "--locale=C.UTF-8")
        self.pg_ctl("start")
        self.running = True
        if fresh:
            psql = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q"]
            self._run(*psql, "-c", "CREATE ROLE guichet LOGIN PASSWORD 'guichet' CREATEDB")
            self._run(*psql, "-c", "CREATE DATABASE guichet OWNER guichet")
        return fresh

    @property
    def url(self) -> str:
        return f"postgres://guichet:guichet@127.0.0.1:{self.port}/guichet"

    def restart(self) -> None:
        """A fast restart (clients are disconnected), as an operator or a crash-recovery would do."""
        self.pg_ctl("restart", "-m", "fast")

    def stop(self, remove: bool) -> None:
        if self.running:
            with contextlib.suppress(Exception):
                self.pg_ctl("stop", "-m", "fast")
            self.running = False
        if remove:
            shutil.rmtree(self.datadir, ignore_errors=True)
