"""WhatsApp Business (Cloud API): messages from contacts' numbers become tickets or replies; the staff's
replies to WhatsApp tickets go back through the Graph API.

Inbound, Meta calls our webhook: a GET handshake (``hub.verify_token`` must be ours) when the webhook is set
up, then a POST per event, signed with the app secret (``X-Hub-Signature-256: sha256=<HMAC of the raw
body>``). Anything unsigned or wrongly signed is refused before it is read. Each message is stored once by
its WhatsApp id (``wamid``); a message that answers one of ours (``context.id``) joins that ticket, else
the contact's latest open WhatsApp ticket of the last ``THREAD_DAYS`` days, else it opens a ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from guichet.audit.models import Door
from guichet.customers.models import Contact, phone_digits
from guichet.customers.selectors import contacts_for_number, may_act
from guichet.errors import ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.tickets import events
from guichet.tickets import services as tickets
from guichet.tickets.models import OPEN_STATUSES, Channel, Ticket, TicketMessage

from .http import post_json
from .models import WhatsAppMessage

THREAD_DAYS = 7
Outcome = WhatsAppMessage.Outcome


class Forged(Exception):
    """The request is not signed with our app secret."""


def verify_handshake(mode: str | None, token: str | None, challenge: str | None) -> str | None:
    """The challenge to echo when Meta sets the webhook up with our verify token; None otherwise."""
    expected = settings.WHATSAPP_VERIFY_TOKEN
    if mode == "subscribe" and expected and token and hmac.compare_digest(token, expected):
        return challenge or ""
    return None


def check_signature(body: bytes, header: str | None) -> None:
    secret = settings.WHATSAPP_APP_SECRET
    if not secret:
        raise Forged("no app secret is configured: every webhook call is refused")
    if not header or not header.startswith("sha256="):
        raise Forged("missing X-Hub-Signature-256")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.removeprefix("sha256="), expected):
        raise Forged("X-Hub-Signature-256 does not match the body")


def receive_webhook(body: bytes, signature: str | None) -> list[WhatsAppMessage]:
    """Check the signature, then file every message of the event. Status updates (sent, delivered, read)
    are acknowledged and ignored."""
    check_signature(body, signature)
    payload = json.loads(body)
    filed: list[WhatsAppMessage] = []
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            names = {c.get("wa_id"): c.get("profile", {}).get("name", "") for c in value.get("contacts", [])}
            filed.extend(
                receive_message(message, names.get(message.get("from"), ""))
                for message in value.get("messages", [])
            )
    return filed


def _text(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind == "text":
        return str(message.get("text", {}).get("body", ""))
    if kind in ("image", "document", "audio", "video", "sticker"):
        caption = message.get(kind, {}).get("caption", "")
        return f"[{kind} sent by WhatsApp{': ' + caption if caption else ''}; ask the customer to mail it]"
    if kind == "location":
        loc = message.get("location", {})
        return f"[location: {loc.get('latitude')}, {loc.get('longitude')} {loc.get('name', '')}]".strip()
    return f"[{kind} message]"


def receive_message(message: dict[str, Any], profile_name: str = "") -> WhatsAppMessage:
    wamid = str(message.get("id", ""))
    sender = phone_digits(str(message.get("from", "")))
    existing = WhatsAppMessage.objects.filter(wamid=wamid).first()
    if existing is not None:
        return existing  # Meta delivers again until it gets a 200: stored once
    at, reason = _sent_at(message.get("timestamp"))
    try:
        with transaction.atomic():
            row = WhatsAppMessage.objects.create(
                wamid=wamid,
                inbound=True,
                phone=sender,
                body=_text(message),
                sent_at=at,
                outcome=Outcome.HELD,
                reason=reason,
            )
            return _file(row, message, profile_name)
    except IntegrityError:
        return WhatsAppMessage.objects.get(wamid=wamid)


def _sent_at(timestamp: Any) -> tuple[datetime, str]:
    """When the message was sent (WhatsApp gives Unix seconds), and why the time of arrival is used instead
    when the timestamp is no instant: not an integer, past year 9999, before 1970 or more than a day ahead.
    The message is filed all the same: the customer's words matter more than a sender's clock."""
    now = timezone.now()
    if timestamp in (None, ""):
        return now, ""
    try:
        at = datetime.fromtimestamp(int(str(timestamp)), tz=UTC)
    except (ValueError, OverflowError, OSError):
        at = None
    if at is None or at.year < 1970 or at > now + timedelta(days=1):
        return now, f"timestamp {str(timestamp)[:40]!r} is not an instant: the time of arrival is used"
    return at, ""


def _note(row: WhatsAppMessage, reason: str) -> str:
    return f"{row.reason}; {reason}" if row.reason else reason


def _file(row: WhatsAppMessage, message: dict[str, Any], profile_name: str) -> WhatsAppMessage:
    candidates = contacts_for_number(row.phone)
    if len(candidates) != 1:
        # Unknown, or shared by several contacts (data from before a number identified one person): held for
        # an agent, who knows who wrote; never put to one of them (another organisation's, perhaps).
        row.reason = _note(
            row,
            f"+{row.phone} is the number of {len(candidates)} contacts: an agent decides who wrote"
            if candidates
            else f"unknown number +{row.phone} ({profile_name or 'no name'})",
        )
        row.save(update_fields=["reason"])
        return row
    contact = candidates[0]
    user = contact.user
    ticket = _thread(message, contact)
    try:
        if ticket is not None:
            msg = tickets.ticket_reply(
                actor=user,
                door=Door.WHATSAPP,
                ticket=ticket,
                body=row.body,
                channel=Channel.WHATSAPP,
                external_id=row.wamid,
            )
            row.outcome, row.ticket, row.ticket_message = Outcome.APPENDED, msg.ticket, msg
        else:
            first_line = row.body.strip().splitlines()[0] if row.body.strip() else "WhatsApp message"
            new = tickets.ticket_create(
                actor=user,
                door=Door.WHATSAPP,
                organisation=contact.organisation,
                requester=user,
                subject=first_line[:200],
                description=row.body or "(empty message)",
                channel=Channel.WHATSAPP,
                external_id=row.wamid,
            )
            row.outcome, row.ticket = Outcome.OPENED, new
            row.ticket_message = new.opening_message
    except ValidationError as exc:  # e.g. the plan has no WhatsApp support: an agent answers otherwise
        row.reason = _note(row, "; ".join(exc.messages))
        row.ticket = ticket
    row.save()
    return row


def _thread(message: dict[str, Any], contact: Contact) -> Ticket | None:
    replied_to = message.get("context", {}).get("id")
    if replied_to:
        ours = WhatsAppMessage.objects.filter(wamid=replied_to, ticket__isnull=False).first()
        if ours is not None and ours.ticket.organisation_id == contact.organisation_id:  # type: ignore[union-attr]
            return ours.ticket
    return (
        Ticket.objects.filter(
            requester=contact.user,
            channel=Channel.WHATSAPP,
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            opened_at__gte=timezone.now() - timedelta(days=THREAD_DAYS),
        )
        .order_by("-opened_at", "-pk")
        .first()
    )


# --------------------------------------------------------------------------------------------- outbound


def on_staff_reply(sender, message: TicketMessage, **kwargs) -> None:
    if message.ticket.channel == Channel.WHATSAPP:
        enqueue_with_commit(send_reply, message.pk)


@task()
def send_reply(message_pk: int) -> str:
    """Send a staff reply to the requester's WhatsApp number; returns its wamid. Idempotent: a reply already
    sent is not sent again. A requester who may no longer act (``may_act``: a deactivated contact) is sent
    nothing (returns "")."""
    message = TicketMessage.objects.select_related("ticket__requester__contact").get(pk=message_pk)
    done = WhatsAppMessage.objects.filter(ticket_message=message, inbound=False).first()
    if done is not None:
        return done.wamid
    if not may_act(message.ticket.requester):
        return ""
    contact = getattr(message.ticket.requester, "contact", None)
    if contact is None or not contact.phone_digits:
        raise ValueError(f"{message.ticket.reference}: the requester has no WhatsApp number")
    payload = {
        "messaging_product": "whatsapp",
        "to": contact.phone_digits,
        "type": "text",
        "text": {"body": f"[{message.ticket.reference}] {message.body}"[:4096]},
    }
    url = f"{settings.WHATSAPP_API_URL.rstrip('/')}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
    answer = post_json(url, payload, headers={"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"})
    wamid = str(answer["messages"][0]["id"])
    WhatsAppMessage.objects.create(
        wamid=wamid,
        inbound=False,
        phone=contact.phone_digits,
        body=payload["text"]["body"],
        sent_at=timezone.now(),
        outcome=Outcome.SENT,
        ticket=message.ticket,
        ticket_message=message,
    )
    return wamid


def connect() -> None:
    events.staff_replied.connect(on_staff_reply, dispatch_uid="channels.whatsapp.reply")
