"""Mail from tasks, safe to run again: tasks run at least once (guichet/jobs/worker.py).

Every mail a task sends carries a Message-ID made from what it is about (``message_id``): a task run again
after a crash sends the same mail with the same Message-ID. Tasks that do not record their sending elsewhere
(a notification's ``emailed_at``, a ticket's ``MailThread``, an invoice's ``InvoiceDelivery``) send through
``send_once``, which records the Message-ID in ``SentMail`` in the same transaction as the send: a second
run finds the row and sends nothing. The one window left — killed after the SMTP server accepted the mail
and before the commit — sends it twice with the same Message-ID, which mail servers and clients that
suppress duplicates drop.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from .models import SentMail

ATOM = re.compile(r"[A-Za-z0-9_-]{1,64}")


def message_id(*parts: object) -> str:
    """``<part.part...@GUICHET_MAIL_DOMAIN>``; a part that is not a plain word (an address, another mail's
    Message-ID) is replaced by a hash of it: no address shows in the id, and the id stays valid."""
    local = ".".join(
        str(p) if ATOM.fullmatch(str(p)) else hashlib.sha256(str(p).lower().encode()).hexdigest()[:20]
        for p in parts
    )
    return f"<{local}@{settings.GUICHET_MAIL_DOMAIN}>"


def send_once(message: EmailMessage, *parts: object) -> bool:
    """Send ``message`` with the Message-ID ``message_id(*parts)`` unless a mail with that id was sent
    before; True if it was sent now. An SMTP failure raises and records nothing (a retry sends it)."""
    mid = message_id(*parts)
    message.extra_headers["Message-ID"] = mid
    with transaction.atomic():
        _, created = SentMail.objects.get_or_create(message_id=mid)
        if not created:
            return False
        message.send()
    return True
