"""The project's shape: the `guichet` command, settings from the environment, production checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def guichet(*args, env=None, check=False):
    base = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "guichet.cli", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def production_env(tmp_path):
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "support.example.com",
        "GUICHET_VAR_DIR": str(tmp_path),
    }


def test_production_settings_pass_check_deploy(tmp_path):
    result = guichet("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = guichet("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_boolean_names_the_variable(tmp_path):
    result = guichet("check", env={"DEBUG": "maybe", "GUICHET_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_the_embedded_database_is_sqlite_in_wal_mode_under_var(tmp_path):
    env = {"DEBUG": "1", "GUICHET_VAR_DIR": str(tmp_path)}
    guichet("migrate", "-v0", env=env, check=True)
    result = guichet(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])",
        env=env,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "wal"
    assert (tmp_path / "guichet.sqlite3").exists()


def test_load_demo_refuses_production_with_one_line_and_a_failure_code(tmp_path):
    env = production_env(tmp_path)
    guichet("migrate", "-v0", env=env, check=True)
    result = guichet("load_demo", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "CommandError: refusing to load demo logins with DEBUG off (pass --allow-production to force)"
    ]


def test_the_guichet_command_lists_the_worker_and_serve_commands(tmp_path):
    result = guichet("help", env={"DEBUG": "1", "GUICHET_VAR_DIR": str(tmp_path)}, check=True)
    for name in ("worker", "serve", "load_demo", "migrate", "runserver", "db_worker"):
        assert name in result.stdout


@pytest.mark.parametrize(
    "module", ["guichet.businesstime", "guichet.text.similarity", "guichet.channels.mail.parsing"]
)
def test_the_pure_core_imports_nothing_of_django(module):
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_serve_runs_the_web_server_and_the_worker_and_ctrl_c_stops_both(tmp_path):
    import http.cookiejar
    import signal
    import time
    import urllib.parse
    import urllib.request

    env = {"DEBUG": "1", "GUICHET_VAR_DIR": str(tmp_path), "GUICHET_SCHEDULER_INTERVAL": "1"}
    guichet("migrate", "-v0", env=env, check=True)
    guichet("load_demo", env=env, check=True)
    port = free_port()
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "guichet.cli", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as resp:
                    status = resp.status
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200
        # The worker's scheduler enqueues and runs the periodic jobs.
        check = "from django_tasks_db.models import DBTaskResult as R; print(R.objects.successful().count())"
        for _ in range(50):
            if guichet("shell", "-c", check, env=env).stdout.strip().splitlines()[-1] != "0":
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the worker did not run the scheduled job")
        # With no mail server configured, the worker writes the mail to files: carla asks for a reset link.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        reset = f"http://127.0.0.1:{port}/accounts/password-reset/"
        opener.open(reset, timeout=5).read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "carla@guichet.localhost"})
        opener.open(urllib.request.Request(reset, data=form.encode(), headers={"Referer": reset}), timeout=5)
        mail = tmp_path / "mail"
        for _ in range(100):
            written = "".join(f.read_text() for f in mail.glob("*.log")) if mail.is_dir() else ""
            if "/accounts/reset/" in written:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("no reset link written to var/mail/")
        assert "To: carla@guichet.localhost" in written
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert f"Guichet is running at http://127.0.0.1:{port}/" in out
    assert "demo login admin / admin" in out
    assert f"Mail is written to files in {tmp_path / 'mail'}/" in out
    assert "shutting down gracefully" in out  # the worker was told to stop, and did
