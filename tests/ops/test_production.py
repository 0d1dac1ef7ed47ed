"""`guichet-production`: the production shape on one machine (a private PostgreSQL cluster, gunicorn with two
web workers, two task workers), for real: it becomes ready, its metrics add up every web worker's requests,
a task worker killed with SIGKILL is started again, and SIGTERM stops every process and the cluster."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from guichet.ops.postgres import PG_BIN_CANDIDATES
from tests.helpers import free_port

pytestmark = pytest.mark.skipif(
    not PG_BIN_CANDIDATES and not os.environ.get("GUICHET_REQUIRE_POSTGRES"),
    reason="PostgreSQL's server binaries are not installed (.ci/run installs them for its second pass)",
)
ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.fixture
def workdir():
    # Not under tmp_path: its parents are private (0700) and the postgres user must reach the cluster.
    path = Path(tempfile.mkdtemp(prefix="guichet-production-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_production_shape_starts_serves_heals_and_stops(workdir):
    tmp_path = workdir
    port = free_port()
    log = (tmp_path / "production.log").open("w+")
    dropped = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    argv = [
        sys.executable,
        "-m",
        "guichet.ops.production",
        "--plain-http",
        "--var-dir",
        str(tmp_path / "var"),
    ]
    launcher = subprocess.Popen(
        [*argv, "--bind", f"127.0.0.1:{port}", "--pg-port", str(free_port())],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        log.flush()
        return (tmp_path / "production.log").read_text()

    try:

        def ready():
            assert launcher.poll() is None, f"the launcher exited:\n{output()}"
            return _get_or_none(f"{base}/readyz") == 200

        _wait_for(ready, 90, "readiness")
        pids = dict(re.findall(r"started (\S+) pid=(\d+)", output()))
        assert set(pids) == {"web", "task-worker-1", "task-worker-2"}
        web_workers = lambda: len(_children(int(pids["web"]))) == 2  # noqa: E731
        _wait_for(web_workers, 20, "gunicorn's two web workers")

        # Requests answered by either web worker are all counted, whichever worker serves the scrape.
        for _ in range(12):
            assert _get(f"{base}/accounts/login/")[0] == 200
        status, metrics = _get(f"{base}/metrics")
        assert status == 200
        counts = [
            float(line.rpartition(" ")[2])
            for line in metrics.splitlines()
            if line.startswith("guichet_http_request_duration_seconds_count{")
            and 'route="accounts/login/"' in line
        ]
        assert sum(counts) == 12
        assert 'guichet_task_queue_depth{queue="default",state="ready"}' in metrics

        # A task worker killed outright is started again by the launcher.
        os.kill(int(pids["task-worker-1"]), signal.SIGKILL)
        _wait_for(lambda: len(re.findall(r"started task-worker-1 pid=", output())) == 2, 15, "a restart")
        new_pid = int(re.findall(r"started task-worker-1 pid=(\d+)", output())[-1])
        assert new_pid != int(pids["task-worker-1"])
        assert "task-worker-1 pid=" in output() and "died (code -9); restarting it" in output()
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=40)
        except subprocess.TimeoutExpired:
            launcher.kill()
            raise
    out = output()
    assert launcher.returncode == 0, out
    assert "PostgreSQL stopped" in out
    for pid in [int(p) for p in re.findall(r"pid=(\d+)", out)]:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    assert _get_or_none(f"{base}/healthz") is None  # nothing listens any more


def _get_or_none(url: str) -> int | None:
    try:
        return _get(url)[0]
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
