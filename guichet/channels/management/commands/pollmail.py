"""guichet pollmail: poll the IMAP mailboxes once, now (the worker does it every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from guichet.channels.mail.imap import poll_all
from guichet.channels.models import Mailbox


class Command(BaseCommand):
    help = "Poll every active IMAP mailbox once (or the one named) and file its new mail into tickets."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="the name of one mailbox to poll")

    def handle(self, *args, mailbox=None, **options):
        if (
            mailbox is not None
            and not Mailbox.objects.filter(name=mailbox, kind=Mailbox.Kind.IMAP, is_active=True).exists()
        ):
            raise CommandError(f"--mailbox: no active IMAP mailbox is named {mailbox!r}")
        results = poll_all(mailbox)
        for result in results:
            self.stdout.write(str(result))
        failed = [r for r in results if r.error]
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} mailboxes could not be polled to the end")
