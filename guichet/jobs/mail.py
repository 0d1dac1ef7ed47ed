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
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

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


# Per-person reply addresses: the mail sent to a member of staff about a ticket answers to
# ``support+r<user>t<ticket>k<mac>@...``; a mail that comes back to it proves it was written by someone who
# read that mail, which a From header alone does not.
_REPLY_TOKEN = re.compile(r"\+r(\d{1,12})t(\d{1,12})k([0-9a-f]{24})@", re.IGNORECASE)


def _reply_mac(user_pk: int, ticket_pk: int) -> str:
    key = settings.GUICHET_MAIL_REPLY_SECRET or settings.SECRET_KEY
    mac = salted_hmac("guichet.mail.reply-address", f"{user_pk}.{ticket_pk}", secret=key, algorithm="sha256")
    return mac.hexdigest()[:24]


def reply_address(base: str, *, user_pk: int, ticket_pk: int) -> str:
    """``base`` (``support@provider.example`` or ``Support <support@...>``) with the signed token of one
    person and one ticket after a ``+`` in its local part."""
    local, _, domain = parseaddr(base)[1].partition("@")
    return f"{local}+r{user_pk}t{ticket_pk}k{_reply_mac(user_pk, ticket_pk)}@{domain}"


def reply_address_owner(address: str) -> tuple[int, int] | None:
    """(user pk, ticket pk) of a genuine reply address; None for any other address or a forged token."""
    found = _REPLY_TOKEN.search(address)
    if found is None:
        return None
    user_pk, ticket_pk = int(found.group(1)), int(found.group(2))
    if not constant_time_compare(found.group(3).lower(), _reply_mac(user_pk, ticket_pk)):
        return None
    return user_pk, ticket_pk


def base_address(address: str) -> str:
    """An address without its ``+tag`` (sub-address): ``support+x@p.example`` -> ``support@p.example``."""
    local, at, domain = address.strip().lower().partition("@")
    return local.split("+", 1)[0] + at + domain
