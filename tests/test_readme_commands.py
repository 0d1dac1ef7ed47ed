"""Every `guichet` command the README shows works from a fresh checkout exactly as written: run in a
subprocess with a clean environment (no DEBUG, no SECRET_KEY unless the README sets one) on a temporary SQLite
database. The commands are read from the README itself, so a new one cannot go untried.

`make run` and `make test` are not run from here (they install, serve and run the whole suite): `make run`'s
steps are read from the Makefile and run as it does. A command the README shows that needs the signing key
(it serves, signs, or runs the system checks) refuses without one with a message naming SECRET_KEY (or, for
runserver, ALLOWED_HOSTS), and works in the environment of the README's production section.
"""

from __future__ import annotations

import re
import secrets
import shlex
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
PYTHON_PATH = str(Path(sys.executable).parent)

# The `guichet` subcommands the README names in its prose (`guichet createtoken USERNAME`, ...), and where
# each is tried below. A name missing here fails test_every_command_the_readme_names_is_tried.
TRIED = {
    "createtoken": "the API section's code block, in a clean environment",
    "revoketoken": "test_tokens_from_a_fresh_checkout_without_debug",
    "help": "test_tokens_from_a_fresh_checkout_without_debug",
    "migrate": "make run's steps, and the PostgreSQL section's code block",
    "load_demo": "make run's steps (it refuses production: tests/test_project.py)",
    "collectstatic": "the PostgreSQL section's code block",
    "runserver": "the PostgreSQL section's code block (started, answers /healthz, stopped)",
    "worker": "the PostgreSQL section's code block (--batch: stops once the queue is empty)",
    "createsuperuser": "the production test (--noinput)",
    "check": "the production test (--deploy)",
    "pollmail": "the production test",
    "mailserver": "the production test (started, answers SMTP, stopped)",
    "serve": "tests/test_project.py::test_serve_runs_the_web_server_and_the_worker_and_ctrl_c_stops_both",
    "search_rebuild": "tests/tickets/test_search.py::test_the_rebuild_command",
}
# Without DEBUG: the setting each command names when refusing to start (Django's runserver asks for the hosts
# first).
NEEDS_A_KEY = {
    "migrate": "environment variable SECRET_KEY must be set",
    "check": "environment variable SECRET_KEY must be set",
    "pollmail": "environment variable SECRET_KEY must be set",
    "worker": "environment variable SECRET_KEY must be set",
    "mailserver": "environment variable SECRET_KEY must be set",
    "createsuperuser": "environment variable SECRET_KEY must be set",
    "runserver": "You must set settings.ALLOWED_HOSTS if DEBUG is False.",
}


def clean_env(**extra: str) -> dict[str, str]:
    """What a newcomer's shell holds: no DEBUG, no SECRET_KEY, no DATABASE_URL (the README's `.venv/bin`
    is put first on PATH so that `guichet` is this checkout's)."""
    return {
        "PATH": f"{PYTHON_PATH}:/usr/bin:/bin",
        "HOME": extra.pop("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        **extra,
    }


def run(argv: list[str], env: dict[str, str], timeout: int = 180) -> subprocess.CompletedProcess:
    if argv[0].endswith("guichet"):
        argv = [sys.executable, "-m", "guichet.cli", *argv[1:]]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def code_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def block_with(text: str) -> list[str]:
    """The lines of the README's code block holding ``text``, comments and blank lines dropped."""
    block = next(b for b in code_blocks() if text in b)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def guichet_argv(line: str) -> list[str]:
    """`TOKEN=$(.venv/bin/guichet createtoken carla)` or `.venv/bin/guichet worker &` as an argv."""
    line = re.sub(r"^\w+=\$\((.*)\)$", r"\1", line).removesuffix("&").strip()
    argv = shlex.split(line)
    assert argv[0] == ".venv/bin/guichet", line
    return ["guichet", *argv[1:]]


def make_run_steps() -> list[list[str]]:
    """`make run`'s guichet commands before it serves, with the DEBUG=1 it sets."""
    body = MAKEFILE.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    lines = [line for line in body.splitlines() if "$(BIN)/guichet" in line]
    assert all(line.strip().startswith("DEBUG=$${DEBUG:-1} ") for line in lines), lines
    steps = [line.split("$(BIN)/guichet", 1)[1].split() for line in lines]
    assert steps[-1][0] == "serve"
    return [["guichet", *step] for step in steps[:-1]]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A fresh checkout after `make run`'s steps (migrate, load_demo with DEBUG=1): its var/ directory."""
    var = tmp_path_factory.mktemp("var")
    for argv in make_run_steps():
        result = run(argv, clean_env(DEBUG="1", GUICHET_VAR_DIR=str(var)))
        assert result.returncode == 0, result.stderr
    return var


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def test_every_command_the_readme_names_is_tried():
    named = set(re.findall(r"(?<![\w-])guichet ([a-z_]+)", README))
    assert named - set(TRIED) == set(), "a command the README shows is not tried here"
    assert {"createtoken", "migrate", "runserver", "worker"} <= named


def test_tokens_from_a_fresh_checkout_without_debug(checkout):
    """The API section: `TOKEN=$(.venv/bin/guichet createtoken carla)` after `make run`, in a shell without
    DEBUG (it failed with a traceback: settings demanded a SECRET_KEY that a token does not need)."""
    env = clean_env(GUICHET_VAR_DIR=str(checkout))
    lines = [line for line in block_with("createtoken") if ".venv/bin/guichet" in line]
    assert lines == ["TOKEN=$(.venv/bin/guichet createtoken carla)"]
    result = run(guichet_argv(lines[0]), env)
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert re.fullmatch(r"gt_[0-9a-f]{8}_\S+", token), token
    revoked = run(["guichet", "revoketoken", token.split("_")[1]], env)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith(f"revoked {token.split('_')[1]} (carla)")
    helped = run(["guichet", "help"], env)
    assert helped.returncode == 0 and "createtoken" in helped.stdout


@pytest.mark.parametrize("command", NEEDS_A_KEY)
def test_without_a_key_a_command_that_needs_one_says_so(checkout, command):
    result = run(["guichet", command], clean_env(GUICHET_VAR_DIR=str(checkout)), timeout=60)
    assert result.returncode != 0
    no_traceback(result)
    assert NEEDS_A_KEY[command] in result.stderr


def production_env(tmp_path) -> dict[str, str]:
    """The README's production section's `export` line, with a temporary SQLite database for its PostgreSQL
    and a key of our own for its `SECRET_KEY=...`."""
    export = next(line for line in block_with("export DATABASE_URL") if line.startswith("export "))
    values = dict(item.split("=", 1) for item in shlex.split(export)[1:])
    assert set(values) == {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}
    values["DATABASE_URL"] = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    return clean_env(GUICHET_VAR_DIR=str(tmp_path), **values)


def wait_for(probe, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            probe()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def serving(argv: list[str], env: dict[str, str], probe) -> None:
    """Start a server command, wait until ``probe`` succeeds, stop it with SIGTERM (Ctrl-C for runserver)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "guichet.cli", *argv[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(probe)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err


def test_the_production_section_runs_as_written_and_so_do_the_other_commands(tmp_path):
    env = production_env(tmp_path)
    lines = [line for line in block_with("export DATABASE_URL") if ".venv/bin/guichet" in line]
    commands = [guichet_argv(line)[1] for line in lines]
    assert commands == ["migrate", "collectstatic", "runserver", "worker", "worker"]
    for line in dict.fromkeys(lines):  # the second worker is the first one again
        argv = guichet_argv(line)
        if argv[1] == "runserver":
            port = free_port()
            argv[2:] = [f"127.0.0.1:{port}"]  # the README's 0.0.0.0:8000, on a free port of this machine only
            healthz = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"Host": env["ALLOWED_HOSTS"]}
            )
            serving(argv, env, lambda request=healthz: urllib.request.urlopen(request, timeout=5).read())
            continue
        if argv[1] == "worker":
            argv.append("--batch")  # the README's `&` keeps it running; --batch stops once the queue is empty
        result = run(argv, env)
        no_traceback(result)
        assert result.returncode == 0, f"{line}: {result.stderr}"
    # The commands the README names in its prose, in the same environment.
    for argv, extra in (
        (["guichet", "check", "--deploy"], {}),
        (["guichet", "pollmail"], {}),
        (
            ["guichet", "createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com"],
            {"DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16)},
        ),
    ):
        result = run(argv, {**env, **extra})
        no_traceback(result)
        assert result.returncode == 0, f"{argv}: {result.stderr}"
    port = free_port()
    serving(
        ["guichet", "mailserver", "--port", str(port)],
        env,
        lambda: smtplib.SMTP("127.0.0.1", port, timeout=5).quit(),
    )


def test_the_wsgi_application_refuses_to_start_without_a_key(tmp_path):
    """What gunicorn loads runs no system check: it refuses by itself (SECRET_KEY may now be left unset)."""
    result = run([sys.executable, "-c", "import guichet.wsgi"], clean_env(GUICHET_VAR_DIR=str(tmp_path)))
    assert result.returncode != 0
    assert "environment variable SECRET_KEY must be set" in result.stderr
