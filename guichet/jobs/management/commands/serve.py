"""`guichet serve`: the web server and the background worker together, for `make run`. Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from guichet.demo import DEMO_LOGINS


class Command(BaseCommand):
    help = "Start the web server and the background worker together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        cmd = [sys.executable, "-m", "guichet.cli"]
        env = os.environ.copy()
        procs = [
            subprocess.Popen([*cmd, "runserver", "--noreload", addrport], env=env),  # noqa: S603
            subprocess.Popen([*cmd, "worker"], env=env),  # noqa: S603
        ]
        host, _, port = addrport.rpartition(":")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nGuichet is running at http://{host or '127.0.0.1'}:{port}/  (admin: /admin/)"
            )
        )
        for username, password, _, role in DEMO_LOGINS:
            self.stdout.write(f"  demo login {username} / {password}: {role}")
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        code = 0
        while not stopping:
            for p in procs:
                if p.poll() is not None:
                    self.stderr.write(f"{p.args[3]} exited with code {p.returncode}; stopping")
                    code = p.returncode or 1
                    stopping = True
            time.sleep(0.2)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if code:
            sys.exit(code)
