"""`guichet serve`: the web server and the background worker together, for `make run`. Ctrl-C stops both;
if either exits, the other is stopped too (the supervision of `guichet-production`, without restarts).

With no mail server configured (none of EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT set), the mail the demo sends
(acknowledgements, notifications, password reset links, invoices) is written as files to EMAIL_FILE_PATH
(var/mail/) instead of failing against a mail server that is not there."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from guichet.demo import DEMO_LOGINS
from guichet.ops.production import Child, supervise


class Command(BaseCommand):
    help = "Start the web server and the background worker together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        cmd = [sys.executable, "-m", "guichet.cli"]
        env = os.environ.copy()
        mail_to_files = not {"EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT"} & set(env)
        if mail_to_files:
            env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        procs = [
            Child("web server", [*cmd, "runserver", "--noreload", addrport], restart=False),
            Child("worker", [*cmd, "worker"], restart=False),
        ]
        for child in procs:
            child.start(env)
        host, _, port = addrport.rpartition(":")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nGuichet is running at http://{host or '127.0.0.1'}:{port}/  (admin: /admin/)"
            )
        )
        for username, password, _, role in DEMO_LOGINS:
            self.stdout.write(f"  demo login {username} / {password}: {role}")
        if mail_to_files:
            self.stdout.write(
                f"Mail is written to files in {settings.EMAIL_FILE_PATH}/, not sent "
                "(set EMAIL_HOST and EMAIL_PORT to send it)."
            )
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")
        self.stdout.flush()
        code = supervise(procs, env)
        if code:
            sys.exit(code)
