"""Inbound mail into tickets: one ticket per problem, a reply into its ticket, nothing lost, nothing twice.

``receive`` is the one entry point, whatever brought the mail (the SMTP/LMTP receiver, IMAP polling, a replay
from the dead letters). It either files the mail — an ``InboundMail`` row with what became of it, stored
once per Message-ID — or keeps it as a ``DeadLetter`` with the reason. It raises only when the database
itself fails, so that the caller can ask the sender to retry (SMTP 451) or leave the IMAP message unseen.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from guichet.customers.models import Contact, User
from guichet.customers.selectors import people_with_address
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.jobs.mail import send_once
from guichet.tickets import services as tickets
from guichet.tickets.errors import PermissionDenied, ValidationError
from guichet.tickets.models import Channel, Status, Ticket, TicketMessage

from ..models import DeadLetter, InboundMail, Mailbox, MailThread
from . import parsing

Outcome = InboundMail.Outcome
DEFAULT_NEW_TICKETS_PER_HOUR = 20


def _name(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32] + ".eml"


def dead_letter(raw: bytes, mailbox: Mailbox | None, reason: str, now: datetime | None = None) -> DeadLetter:
    with transaction.atomic():
        letter = DeadLetter(mailbox=mailbox, received_at=now or timezone.now(), reason=reason[:2000])
        letter.raw.save(_name(raw), ContentFile(raw), save=False)
        letter.save()
    return letter


def receive(
    raw: bytes, *, mailbox: Mailbox | None = None, now: datetime | None = None
) -> InboundMail | DeadLetter:
    """File one inbound mail (see the module's docstring). Delivering the same mail again returns the row
    stored the first time and changes nothing."""
    now = now or timezone.now()
    try:
        mail = parsing.parse(raw, attachment_limit=settings.GUICHET_ATTACHMENT_MAX_BYTES)
    except parsing.Unparseable as exc:
        return dead_letter(raw, mailbox, f"unparseable: {exc}", now)
    existing = InboundMail.objects.filter(message_id=mail.message_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _file(mail, raw, mailbox, now)
    except IntegrityError:
        # Delivered twice at once: the other delivery stored it first (its row is the unique Message-ID).
        existing = InboundMail.objects.filter(message_id=mail.message_id).first()
        if existing is not None:
            return existing
        raise
    except DatabaseError:
        raise  # the database is down or busy: the caller asks for a retry
    except Exception as exc:  # a mail the services cannot take: kept, with why, for an admin to replay
        return dead_letter(raw, mailbox, f"{type(exc).__name__}: {exc}", now)


def _file(mail: parsing.ParsedMail, raw: bytes, mailbox: Mailbox | None, now: datetime) -> InboundMail:
    record = InboundMail(
        mailbox=mailbox,
        message_id=mail.message_id,
        received_at=now,
        sender=mail.sender[:320],
        subject=mail.subject[:998],
        outcome=Outcome.HELD,
    )
    record.raw.save(_name(raw), ContentFile(raw), save=False)
    record.save()  # first: a concurrent delivery of the same mail waits here, then fails on the unique id

    if mail.automatic:
        return _done(record, Outcome.AUTOMATIC, mail.automatic)
    senders = people_with_address(mail.sender)
    if len(senders) > 1:  # an address identifies one person: which of them wrote is for an agent to say
        return _done(record, Outcome.HELD, f"{len(senders)} people have this address: an agent decides")
    user = senders[0] if senders else None
    ticket = _thread_ticket(mail)
    if ticket is not None:
        return _reply(record, mail, user, ticket, now)
    if user is None:
        policy = mailbox.unknown_senders if mailbox else Mailbox.UnknownSenders.TRIAGE
        if policy == Mailbox.UnknownSenders.REFUSE:
            enqueue_with_commit(
                send_refusal, mail.sender, mail.subject, mailbox.address if mailbox else "", mail.message_id
            )
            return _done(record, Outcome.REFUSED, "unknown sender: refused with a reply")
        return _done(record, Outcome.TRIAGE, "unknown sender")
    contact = getattr(user, "contact", None)
    if user.kind != User.Kind.CUSTOMER or contact is None:
        return _done(record, Outcome.HELD, "staff cannot open a ticket by mail: say for which organisation")
    limit = mailbox.new_tickets_per_hour if mailbox else DEFAULT_NEW_TICKETS_PER_HOUR
    recent = InboundMail.objects.filter(
        sender=mail.sender, outcome=Outcome.OPENED, received_at__gte=now - timedelta(hours=1)
    ).count()
    if recent >= limit:
        return _done(record, Outcome.HELD, f"more than {limit} new tickets in an hour from this sender")
    return _open(record, mail, user, contact, now)


def _done(record: InboundMail, outcome: str, reason: str = "", **links) -> InboundMail:
    record.outcome = outcome
    record.reason = reason
    for name, value in links.items():
        setattr(record, name, value)
    record.save()
    return record


def _thread_ticket(mail: parsing.ParsedMail) -> Ticket | None:
    """The ticket a reply belongs to: by the Message-IDs it answers, else by a reference in its subject."""
    if mail.thread_ids:
        rows = dict(
            MailThread.objects.filter(message_id__in=mail.thread_ids).values_list("message_id", "ticket")
        )
        for message_id in mail.thread_ids:
            if message_id in rows:
                return Ticket.objects.get(pk=rows[message_id])
    for reference in mail.ticket_references:
        ticket = Ticket.objects.filter(reference=reference).first()
        if ticket is not None:
            return ticket
    return None


def _may_write_to(user: User | None, ticket: Ticket) -> bool:
    if user is None:
        return False
    if user.kind != User.Kind.CUSTOMER:
        return True
    contact = getattr(user, "contact", None)
    return contact is not None and contact.organisation_id == ticket.organisation_id


def _body(mail: parsing.ParsedMail) -> str:
    return mail.visible_text or mail.subject or "(empty message)"


def _reply(
    record: InboundMail, mail: parsing.ParsedMail, user: User | None, ticket: Ticket, now: datetime
) -> InboundMail:
    if not _may_write_to(user, ticket):
        # A stranger quoting a reference does not become that ticket's customer.
        return _done(
            record,
            Outcome.HELD,
            f"sender is not a contact of {ticket.reference}'s organisation",
            ticket=ticket,
        )
    assert user is not None
    try:
        message = tickets.ticket_reply(
            actor=user, door="email", ticket=ticket, body=_body(mail), channel=Channel.EMAIL
        )
    except ValidationError:
        if ticket.status != Status.CLOSED or user.kind != User.Kind.CUSTOMER:
            raise
        # A closed ticket takes no more replies: the customer's mail opens a new one that points to it.
        contact = user.contact  # type: ignore[attr-defined]
        return _open(record, mail, user, contact, now, follows=ticket)
    except PermissionDenied as exc:
        return _done(record, Outcome.HELD, str(exc), ticket=ticket)
    _mark(message, mail)
    _attach(user, message.ticket, mail)
    MailThread.objects.get_or_create(message_id=mail.message_id, defaults={"ticket": message.ticket})
    return _done(record, Outcome.APPENDED, ticket=message.ticket, ticket_message=message)


def _open(
    record: InboundMail,
    mail: parsing.ParsedMail,
    user: User,
    contact: Contact,
    now: datetime,
    follows: Ticket | None = None,
) -> InboundMail:
    body = _body(mail)
    if follows is not None:
        body += f"\n\n(Follows {follows.reference}, which is closed.)"
    try:
        ticket = tickets.ticket_create(
            actor=user,
            door="email",
            organisation=contact.organisation,
            requester=user,
            subject=(mail.subject or body.splitlines()[0])[:200] or "(no subject)",
            description=body,
            channel=Channel.EMAIL,
        )
    except ValidationError as exc:
        if "channel" not in getattr(exc, "message_dict", {}):
            raise
        # The plan has no support by mail: an agent answers the customer by a channel it has.
        return _done(record, Outcome.HELD, exc.message_dict["channel"][0])
    message = ticket.messages.order_by("created_at", "pk").first()
    assert message is not None
    _mark(message, mail)
    _attach(user, ticket, mail)
    MailThread.objects.get_or_create(message_id=mail.message_id, defaults={"ticket": ticket})
    reason = f"follows {follows.reference}, which is closed" if follows else ""
    return _done(record, Outcome.OPENED, reason, ticket=ticket, ticket_message=message)


def _mark(message: TicketMessage, mail: parsing.ParsedMail) -> None:
    message.external_id = mail.message_id[:255]
    message.save(update_fields=["external_id"])


def _attach(user: User, ticket: Ticket, mail: parsing.ParsedMail) -> None:
    for item in mail.attachments:
        upload = SimpleUploadedFile(item.filename, item.data, content_type=item.content_type)
        try:
            tickets.ticket_attach(actor=user, door="email", ticket=ticket, upload=upload)
        except ValidationError as exc:  # a type or size we do not keep: say so in the ticket
            tickets.ticket_reply(
                actor=user,
                door="email",
                ticket=ticket,
                body=f"[Attachment {item.filename} not kept: {exc.messages[0] if exc.messages else exc}]",
                channel=Channel.EMAIL,
            )


@task()
def send_refusal(address: str, subject: str, mailbox_address: str, in_reply_to: str = "") -> None:
    """The polite answer to an unknown sender (never to an automatic mail: those are filtered first); once
    per refused mail (``in_reply_to``, its Message-ID), however often the task runs."""
    from django.core.mail import EmailMessage

    reply = EmailMessage(
        subject=parsing.safe_header_value(f"Re: {subject}"[:200]),
        body=(
            "Bonjour,\n\nVotre adresse n'est pas celle d'un contact connu : votre message n'a pas été "
            "enregistré. Demandez à l'administrateur de votre organisation de vous ajouter comme contact.\n\n"
            "Hello,\n\nYour address is not that of a known contact: your message was not recorded. Ask your "
            "organisation's administrator to add you as a contact.\n"
        ),
        from_email=mailbox_address or settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-replied"},
    )
    if not in_reply_to:  # queued before refusals were keyed by the refused mail
        reply.send()
        return
    if "@" in in_reply_to:  # a real Message-ID, not the content hash of a mail that had none
        reply.extra_headers["In-Reply-To"] = f"<{in_reply_to}>"
    send_once(reply, "refusal", in_reply_to)


def replay(letter: DeadLetter) -> InboundMail | DeadLetter:
    """Try a dead letter again (after a fix, or once the cause is gone); the letter records the result. A
    mail that fails again becomes a new dead letter, and this one stays for the record."""
    with letter.raw.open("rb") as f:
        raw = f.read()
    result = receive(raw, mailbox=letter.mailbox)
    letter.replayed_at = timezone.now()
    if isinstance(result, InboundMail):
        letter.replay_result = f"filed: {result.get_outcome_display()}" + (
            f" ({result.ticket.reference})" if result.ticket_id else ""  # type: ignore[union-attr]
        )
    else:
        letter.replay_result = f"failed again: {result.reason}"
    letter.save(update_fields=["replayed_at", "replay_result"])
    return result
