"""guichet mailserver: the SMTP (or LMTP) receiver that a mail server delivers customers' mail to."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand

from guichet.channels.mail.receiver import controller


class Command(BaseCommand):
    help = "Receive customers' mail by SMTP or LMTP and file it into tickets."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP (RFC 2033) instead of SMTP")

    def handle(self, *args, host, port, lmtp, **options):
        if options["verbosity"] < 2:  # aiosmtpd logs every SMTP command at INFO
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        server = controller(host, port, lmtp=lmtp)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        server.start()
        self.stdout.write(f"{'LMTP' if lmtp else 'SMTP'} receiver on {host}:{port}; Ctrl-C stops it.")
        try:
            stop.wait()
        finally:
            server.stop()
