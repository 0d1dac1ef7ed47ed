"""The SMTP/LMTP receiver: a mail server (Postfix, Exim...) delivers customers' mail to it.

It accepts mail only for active mailboxes' addresses and answers only once the mail is stored: ``250`` when
``services.receive`` has filed it (or kept it as a dead letter), ``451`` (try again later) when the database
or the disk failed, so that the sending server keeps the mail and retries. Nothing is accepted and lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.conf import settings
from django.db import close_old_connections, connection

from guichet.jobs.mail import base_address

from ..models import Mailbox
from .services import receive

log = logging.getLogger(__name__)
TEMPORARY = "451 4.3.0 Could not store the message now: try again later"


async def _in_thread(function, *args):
    """Run ``function`` in a thread of the event loop's pool, as Django runs a request: a fresh or still
    usable connection first, and that thread's connection closed at the end (the pool's threads outlive the
    server; a connection left open in them would hold the database until the process ends)."""

    def run():
        close_old_connections()
        try:
            return function(*args)
        finally:
            connection.close()

    return await asyncio.to_thread(run)


def _mailbox_for(address: str) -> Mailbox | None:
    """The active mailbox of an address, also with a ``+tag`` (the signed reply addresses of staff mail)."""
    return Mailbox.objects.filter(address__iexact=base_address(address), is_active=True).first()


def _deliver(raw: bytes, recipients: list[str]) -> None:
    boxes = {b.address.lower(): b for b in Mailbox.objects.filter(is_active=True)}
    mailbox = next((boxes[base_address(r)] for r in recipients if base_address(r) in boxes), None)
    receive(raw, mailbox=mailbox, recipients=recipients)


class InboundHandler:
    def __init__(self, lmtp: bool = False):
        self.lmtp = lmtp

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            mailbox = await _in_thread(_mailbox_for, address)
        except Exception:
            log.exception("mailbox lookup failed for %s", address)
            return "451 4.3.0 Could not look the mailbox up now: try again later"
        if mailbox is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            await _in_thread(_deliver, envelope.original_content, list(envelope.rcpt_tos))
            status = "250 2.0.0 Message accepted"
        except Exception:  # the database or the disk: the sender keeps the mail and retries
            log.exception("could not store a mail from %s", envelope.mail_from)
            status = TEMPORARY
        if self.lmtp:  # LMTP answers once per recipient (RFC 2033)
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status


# aiosmtpd's own answers to a DATA it refuses before the handler sees it (a line too long, a mail too big).
EARLY_REFUSALS = ("500 Line too long", "552 Error: Too much mail data", "500 Error: strict ASCII mode")


class GuichetLMTP(LMTP):
    """LMTP answers DATA once per accepted recipient (RFC 2033, 4.2), refusals included: aiosmtpd answers
    its early refusals once, which leaves the client waiting for the other answers (or reading them from the
    next command's)."""

    async def push(self, status: AnyStr) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        recipients = self.envelope.rcpt_tos if self.envelope is not None else []
        if text.startswith(EARLY_REFUSALS):
            for _ in recipients[1:]:
                await super().push(status)
        await super().push(status)


class LMTPController(Controller):
    def factory(self):
        return GuichetLMTP(self.handler, **self.SMTP_kwargs)


def controller(host: str, port: int, *, lmtp: bool = False) -> Controller:
    kind = LMTPController if lmtp else Controller
    return kind(
        InboundHandler(lmtp=lmtp),
        hostname=host,
        port=port,
        data_size_limit=settings.GUICHET_MAIL_MAX_BYTES,
        enable_SMTPUTF8=True,
    )
