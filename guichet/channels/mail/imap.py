"""IMAP polling (imap-tools): the mail of an IMAP mailbox into tickets, nothing lost, nothing twice.

A poll reads the folder's unseen messages without marking them (BODY.PEEK), hands each one to
``services.receive`` — which returns only once the mail is committed, as an ``InboundMail`` or a
``DeadLetter`` — and only then sets its \\Seen flag on the server. So:

- a poll that dies half-way (worker killed, connection cut) leaves the unstored messages unseen: the next
  poll takes them;
- a message stored but not yet flagged when the poll died is fetched again and ``receive`` returns the row
  stored the first time (one row per Message-ID): nothing twice;
- while the database fails, the poll stops at the first failure and leaves that message and the rest unseen.

Two polls of one mailbox at once (a slow poll overlapping the next minute's) are harmless for the same
reason; they only do the work twice. Each poll takes at most ``GUICHET_IMAP_BATCH`` messages, oldest first,
so that one poll stays short; the next minute's poll goes on.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_tasks import task
from imap_tools import MailBox, MailBoxUnencrypted, MailMessage, MailMessageFlags
from imap_tools.errors import ImapToolsError

from ..models import DeadLetter, Mailbox
from .services import receive

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30


class _RawMessage(MailMessage):
    """imap-tools' message, keeping the bytes as the server sent them: those are what Guichet stores."""

    def __init__(self, fetch_data: list[Any]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0
    filed: int = 0
    dead_letters: int = 0
    error: str = ""

    def __str__(self) -> str:
        text = f"{self.mailbox}: {self.fetched} fetched, {self.filed} filed, {self.dead_letters} dead letters"
        return text + (f"; stopped: {self.error}" if self.error else "")


def _connect(mailbox: Mailbox) -> MailBox | MailBoxUnencrypted:
    kind = MailBox if mailbox.imap_ssl else MailBoxUnencrypted
    return kind(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS)


def poll(mailbox: Mailbox, *, batch: int | None = None) -> PollResult:
    """Poll one IMAP mailbox once (see the module's docstring). Never raises for a server, network or
    database failure: the result, and the mailbox's ``last_poll_error``, say what stopped the poll."""
    batch = batch or settings.GUICHET_IMAP_BATCH
    result = PollResult(mailbox.name)
    try:
        with _connect(mailbox).login(mailbox.imap_user, mailbox.imap_password, mailbox.imap_folder) as imap:
            imap.email_message_class = _RawMessage
            uids = imap.uids("UNSEEN")[:batch]  # ascending: oldest first
            if uids:  # an empty uid_list would make fetch() read the whole folder
                for message in imap.fetch(uid_list=uids, mark_seen=False, bulk=20):
                    # The class set above; fetched by UID, so each message has one.
                    assert isinstance(message, _RawMessage) and message.uid is not None
                    result.fetched += 1
                    stored = receive(message.raw, mailbox=mailbox)  # committed when it returns
                    imap.flag(message.uid, MailMessageFlags.SEEN, True)
                    if isinstance(stored, DeadLetter):
                        result.dead_letters += 1
                    else:
                        result.filed += 1
    except DatabaseError as exc:
        result.error = f"database: {exc}"
    except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    if result.error:
        log.warning("IMAP poll of %s stopped: %s", mailbox.name, result.error)
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=timezone.now(), last_poll_error=result.error[:2000]
        )
    except DatabaseError:
        log.exception("could not record the poll of %s", mailbox.name)
    return result


def poll_all(name: str | None = None) -> list[PollResult]:
    """Poll every active IMAP mailbox (or the one named), one after the other."""
    boxes = Mailbox.objects.filter(kind=Mailbox.Kind.IMAP, is_active=True).order_by("name")
    if name is not None:
        boxes = boxes.filter(name=name)
    return [poll(box) for box in boxes]


@task()
def poll_mailboxes() -> list[str]:
    """The minutely job: poll every active IMAP mailbox; returns one line per mailbox."""
    return [str(result) for result in poll_all()]
