"""Inbound mail into tickets: one ticket per problem, a reply into its ticket, nothing lost, nothing twice.

``receive`` is the one entry point, whatever brought the mail (the SMTP/LMTP receiver, IMAP polling, a replay
from the dead letters). It either files the mail — an ``InboundMail`` row with what became of it, stored
once per Message-ID — or keeps it as a ``DeadLetter`` with the reason. It raises only when the database
itself is out (``OperationalError``, ``InterfaceError``), so that the caller can ask the sender to retry
(SMTP 451) or leave the IMAP message unseen; a mail the database refuses as it is would be refused at every
retry, so it is a dead letter (and 250).

A From header is typed by whoever sends the mail. Our own mail coming back is ignored first (it must never
open, join or answer anything); a From that names no one for sure, or that the provider's receiving server
found failing DMARC, is held; and a mail from a staff address acts as that person (a public reply that
meets the first-response clock and is mailed to the customer) only when it is proven: the receiving
server's Authentication-Results (its authserv-id, ``GUICHET_MAIL_AUTHSERV_ID``) vouch for the From domain,
or it was sent to the signed reply address Guichet gave that person for that ticket
(``guichet.jobs.mail.reply_address``). Otherwise it is held for an agent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django_tasks import task

from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.customers.models import Contact, User
from guichet.customers.permissions import is_provider_staff, may_handle_mail
from guichet.customers.selectors import people_with_address
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.jobs.mail import base_address, reply_address_owner, send_once
from guichet.text.safe import storable
from guichet.tickets import services as tickets
from guichet.tickets.attachments import check as check_upload
from guichet.tickets.models import Category, Channel, Priority, Status, Ticket, TicketMessage

from ..models import DeadLetter, InboundMail, Mailbox, MailThread
from . import parsing

Outcome = InboundMail.Outcome
DEFAULT_NEW_TICKETS_PER_HOUR = 20


def _name(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32] + ".eml"


def dead_letter(raw: bytes, mailbox: Mailbox | None, reason: str, now: datetime | None = None) -> DeadLetter:
    with transaction.atomic():
        letter = DeadLetter(
            mailbox=mailbox, received_at=now or timezone.now(), reason=storable(reason)[:2000]
        )
        letter.raw.save(_name(raw), ContentFile(raw), save=False)
        letter.save()
    return letter


def _outage(exc: DatabaseError) -> bool:
    """The database is down, busy or unreachable (try again later) — not refusing this mail's content,
    which would refuse it again at every retry."""
    return isinstance(exc, OperationalError | InterfaceError)


def receive(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    now: datetime | None = None,
    recipients: Sequence[str] = (),
) -> InboundMail | DeadLetter:
    """File one inbound mail (see the module's docstring). Delivering the same mail again returns the row
    stored the first time and changes nothing. ``recipients`` are the envelope's (RCPT TO), when known."""
    now = now or timezone.now()
    try:
        mail = parsing.parse(
            raw,
            attachment_limit=settings.GUICHET_ATTACHMENT_MAX_BYTES,
            authserv_id=settings.GUICHET_MAIL_AUTHSERV_ID,
        )
    except parsing.Unparseable as exc:
        return dead_letter(raw, mailbox, f"unparseable: {exc}", now)
    except Exception as exc:  # a mail the parser trips on: it would trip on it at every retry
        return dead_letter(raw, mailbox, f"unparseable: {type(exc).__name__}: {exc}", now)
    existing = InboundMail.objects.filter(message_id=mail.message_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _file(mail, raw, mailbox, now, tuple(recipients))
    except IntegrityError as exc:
        # Delivered twice at once: the other delivery stored it first (its row is the unique Message-ID).
        existing = InboundMail.objects.filter(message_id=mail.message_id).first()
        if existing is not None:
            return existing
        return dead_letter(raw, mailbox, f"{type(exc).__name__}: {exc}", now)
    except DatabaseError as exc:
        if _outage(exc):
            raise  # the database is down or busy: the caller asks for a retry
        # The database refuses this mail as it is (a value it cannot store): it would at every retry, and
        # the sender would be told to retry for days. Kept, with why, for an admin to replay.
        return dead_letter(raw, mailbox, f"{type(exc).__name__}: {exc}", now)
    except Exception as exc:  # a mail the services cannot take: kept, with why, for an admin to replay
        return dead_letter(raw, mailbox, f"{type(exc).__name__}: {exc}", now)


def _own_addresses() -> set[str]:
    """The helpdesk's own addresses: its mailboxes' and the ones it sends from."""
    own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    for setting in (settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL):
        own.add(parseaddr(setting)[1].lower())
    return own - {""}


def _loop(mail: parsing.ParsedMail) -> str:
    """Why this mail is one of ours coming back (it must then never open, join or answer anything); ""
    otherwise."""
    own = _own_addresses()
    domain = settings.GUICHET_MAIL_DOMAIN.lower()
    for marker in mail.loop_markers:
        words = set(re.split(r"[\s<>,;]+", marker))
        if words & own or domain in words or any(w.endswith("@" + domain) for w in words):
            return f"mail loop: X-Loop {marker[:200]}"
    if (
        mail.message_id.lower().endswith("@" + domain)
        or MailThread.objects.filter(message_id=mail.message_id, outbound=True).exists()
    ):
        return "mail loop: our own Message-ID came back"
    if base_address(mail.sender) in own:
        return "mail loop: sent from one of the helpdesk's own addresses"
    return ""


def _file(
    mail: parsing.ParsedMail,
    raw: bytes,
    mailbox: Mailbox | None,
    now: datetime,
    envelope: tuple[str, ...] = (),
) -> InboundMail:
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

    screened = _screen(mail)
    if screened is not None:
        return _done(record, *screened)
    senders = people_with_address(mail.sender)
    if len(senders) > 1:  # an address identifies one person: which of them wrote is for an agent to say
        return _done(record, Outcome.HELD, f"{len(senders)} people have this address: an agent decides")
    user = senders[0] if senders else None
    ticket = _thread_ticket(mail)
    if user is not None and is_provider_staff(user):
        signed = _signed_ticket(mail, user, envelope)
        ticket = ticket or signed
        proven = mail.auth.vouches_for(mail.sender_domain) or (signed is not None and signed == ticket)
    else:
        proven = True
    if not proven:  # see the module's docstring
        return _done(
            record,
            Outcome.HELD,
            "from a staff address, without proof: no DKIM/DMARC pass from our receiving server for "
            f"{mail.sender_domain}, nor a signed reply address",
            ticket=ticket,
        )
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
    if is_provider_staff(user) or contact is None:
        return _done(record, Outcome.HELD, "staff cannot open a ticket by mail: say for which organisation")
    limit = mailbox.new_tickets_per_hour if mailbox else DEFAULT_NEW_TICKETS_PER_HOUR
    recent = InboundMail.objects.filter(
        sender=mail.sender, outcome=Outcome.OPENED, received_at__gte=now - timedelta(hours=1)
    ).count()
    if recent >= limit:
        return _done(record, Outcome.HELD, f"more than {limit} new tickets in an hour from this sender")
    return _open(record, mail, user, contact, now)


def _screen(mail: parsing.ParsedMail) -> tuple[str, str] | None:
    """(outcome, reason) for a mail that must not act as its From at all, before the sender is looked up:
    ours coming back, automatic, a From naming no one for sure, a DMARC failure."""
    loop = _loop(mail)
    if loop:
        return Outcome.AUTOMATIC, loop
    if mail.automatic:
        return Outcome.AUTOMATIC, mail.automatic
    if mail.sender_problem:
        return Outcome.HELD, mail.sender_problem
    if mail.auth.dmarc_failed(mail.sender_domain):
        return Outcome.HELD, f"DMARC failed for {mail.sender_domain}: the From header is forged"
    return None


def _signed_ticket(mail: parsing.ParsedMail, user: User, envelope: tuple[str, ...]) -> Ticket | None:
    """The ticket of a genuine reply address of ``user`` the mail was sent to (envelope or headers)."""
    for address in (*envelope, *mail.recipients):
        owner = reply_address_owner(address)
        if owner is not None and owner[0] == user.pk:
            return Ticket.objects.filter(pk=owner[1]).first()
    return None


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
    if is_provider_staff(user):
        return True
    contact = getattr(user, "contact", None)
    return contact is not None and contact.organisation_id == ticket.organisation_id


def _body(mail: parsing.ParsedMail) -> str:
    return mail.visible_text or mail.subject or "(empty message)"


def _uploads(mail: parsing.ParsedMail) -> tuple[list[SimpleUploadedFile], str]:
    """The mail's attachments the ticket keeps, and a note naming the others (a type or a size we do not
    keep), to add to the message's text."""
    kept, notes = [], []
    for item in mail.attachments:
        upload = SimpleUploadedFile(item.filename, item.data, content_type=item.content_type)
        try:
            check_upload(upload)
        except ValidationError as exc:
            notes.append(f"[Attachment {item.filename} not kept: {exc.messages[0] if exc.messages else exc}]")
            continue
        kept.append(upload)
    return kept, "\n".join(notes)


def _with(body: str, note: str) -> str:
    return f"{body}\n\n{note}" if note else body


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
    uploads, note = _uploads(mail)
    try:
        message = tickets.ticket_reply(
            actor=user,
            door=Door.EMAIL,
            ticket=ticket,
            body=_with(_body(mail), note),
            channel=Channel.EMAIL,
            attachments=uploads,
            external_id=mail.message_id,
        )
    except ValidationError:
        if ticket.status != Status.CLOSED or is_provider_staff(user):
            raise
        # A closed ticket takes no more replies: the customer's mail opens a new one that points to it.
        contact = user.contact
        return _open(record, mail, user, contact, now, follows=ticket)
    except PermissionDenied as exc:
        return _done(record, Outcome.HELD, str(exc), ticket=ticket)
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
    uploads, note = _uploads(mail)
    try:
        ticket = tickets.ticket_create(
            actor=user,
            door=Door.EMAIL,
            organisation=contact.organisation,
            requester=user,
            subject=(mail.subject or body.splitlines()[0])[:200] or "(no subject)",
            description=_with(body, note),
            channel=Channel.EMAIL,
            attachments=uploads,
            external_id=mail.message_id,
        )
    except ValidationError as exc:
        if "channel" not in getattr(exc, "message_dict", {}):
            raise
        # The plan has no support by mail: an agent answers the customer by a channel it has.
        return _done(record, Outcome.HELD, exc.message_dict["channel"][0])
    message = ticket.opening_message
    MailThread.objects.get_or_create(message_id=mail.message_id, defaults={"ticket": ticket})
    reason = f"follows {follows.reference}, which is closed" if follows else ""
    return _done(record, Outcome.OPENED, reason, ticket=ticket, ticket_message=message)


@task()
def send_refusal(address: str, subject: str, mailbox_address: str, in_reply_to: str = "") -> None:
    """The polite answer to an unknown sender (never to an automatic mail: those are filtered first); once
    per refused mail (``in_reply_to``, its Message-ID), however often the task runs."""
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
        headers={"Auto-Submitted": "auto-replied", "X-Loop": mailbox_address or settings.DEFAULT_FROM_EMAIL},
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
        # Stored, in English like the rest of the result, whoever replays it (an agent may read French).
        with translation.override("en"):
            outcome = result.get_outcome_display()
        letter.replay_result = f"filed: {outcome}" + (
            f" ({result.ticket.reference})" if result.ticket_id else ""  # type: ignore[union-attr]
        )
    else:
        letter.replay_result = f"failed again: {result.reason}"
    letter.save(update_fields=["replayed_at", "replay_result"])
    return result


# ------------------------------------------------------------------- held and triaged mail, by an agent

# What an agent deals with: mail held (a doubtful sender, no proof, no plan by mail…), put in triage (an
# unknown sender) or refused with a reply (still worth a look: a new contact's first mail).
WAITING = (Outcome.HELD, Outcome.TRIAGE, Outcome.REFUSED)


def _handler(actor: User, act: str) -> None:
    if not may_handle_mail(actor):
        raise PermissionDenied(f"Only the support desk, supervisors and admins {act}.")


def read(mail: InboundMail | DeadLetter) -> parsing.ParsedMail:
    """A stored mail as the parser reads it: plain text (HTML sanitised by nh3, then made text), the
    attachments as data, never rendered."""
    with mail.raw.open("rb") as f:
        raw = f.read()
    return parsing.parse(
        raw,
        attachment_limit=settings.GUICHET_ATTACHMENT_MAX_BYTES,
        authserv_id=settings.GUICHET_MAIL_AUTHSERV_ID,
    )


def _waiting(mail: InboundMail) -> InboundMail:
    """The mail, locked, if it still waits for an agent (two agents may open it at once)."""
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.outcome not in WAITING or mail.handled_at is not None:
        raise ValidationError({"mail": "This mail was already dealt with."})
    return mail


def _handled(mail: InboundMail, actor: User, **fields) -> None:
    fields.update(handled_at=timezone.now(), handled_by=actor)
    for name, value in fields.items():
        setattr(mail, name, value)
    mail.save(update_fields=list(fields))


def _audit_mail(actor: User, door: Door, action: str, mail: InboundMail, organisation_id, **changes) -> None:
    record(
        actor=actor,
        door=door,
        action=action,
        target=mail,
        organisation_id=organisation_id,
        changes={"sender": mail.sender, **changes},
        internal=True,
    )


@transaction.atomic
def held_to_ticket(
    *,
    actor: User,
    door: Door,
    mail: InboundMail,
    requester: User | None,
    subject: str = "",
    category: str = Category.REQUEST,
    priority: str = Priority.MEDIUM,
) -> Ticket:
    """An agent opens a ticket from a held or triaged mail for ``requester`` (the contact the agent
    recognised: the sender or another), with the mail's text and the attachments we keep."""
    _handler(actor, "turn held mail into tickets")
    mail = _waiting(mail)
    contact = getattr(requester, "contact", None) if requester is not None else None
    if requester is None or contact is None or is_provider_staff(requester):
        raise ValidationError({"requester": "Name the customer contact the ticket is for."})
    parsed = read(mail)
    uploads, note = _uploads(parsed)
    ticket = tickets.ticket_create(
        actor=actor,
        door=door,
        organisation=contact.organisation,
        requester=requester,
        subject=(subject.strip() or mail.subject or _body(parsed).splitlines()[0])[:200],
        description=_with(_body(parsed), note),
        category=category,
        priority=priority,
        channel=Channel.EMAIL,
        attachments=uploads,
        external_id=mail.message_id,
    )
    MailThread.objects.get_or_create(message_id=mail.message_id, defaults={"ticket": ticket})
    _handled(mail, actor, outcome=Outcome.OPENED, ticket=ticket, ticket_message=ticket.opening_message)
    _audit_mail(actor, door, "mail.ticket_opened", mail, ticket.organisation_id, ticket=ticket.reference)
    return ticket


@transaction.atomic
def held_to_reply(*, actor: User, door: Door, mail: InboundMail, ticket: Ticket) -> TicketMessage:
    """An agent adds a held or triaged mail to ``ticket``. From one contact of the ticket's organisation
    it is their public reply (the agent vouches for the sender, as a proven mail would); from anyone else
    an internal note quoting it: a stranger does not become the ticket's customer, nor speak to it."""
    _handler(actor, "add held mail to tickets")
    mail = _waiting(mail)
    parsed = read(mail)
    uploads, note = _uploads(parsed)
    people = people_with_address(mail.sender)
    sender = people[0] if len(people) == 1 else None
    public = sender is not None and not is_provider_staff(sender) and _may_write_to(sender, ticket)
    body = _with(_body(parsed), note)
    message = tickets.ticket_reply(
        actor=sender if public and sender is not None else actor,
        door=door,
        ticket=ticket,
        body=body if public else f"Mail from {mail.sender}:\n\n{body}",
        internal=not public,
        channel=Channel.EMAIL,
        attachments=uploads,
        external_id=mail.message_id,
    )
    MailThread.objects.get_or_create(message_id=mail.message_id, defaults={"ticket": message.ticket})
    _handled(mail, actor, outcome=Outcome.APPENDED, ticket=message.ticket, ticket_message=message)
    _audit_mail(
        actor,
        door,
        "mail.appended",
        mail,
        message.ticket.organisation_id,
        ticket=message.ticket.reference,
        internal=not public,
    )
    return message


@transaction.atomic
def held_drop(*, actor: User, door: Door, mail: InboundMail, reason: str) -> InboundMail:
    """An agent drops a held or triaged mail (spam, a duplicate, nothing to do), saying why; the raw mail
    is kept."""
    _handler(actor, "drop held mail")
    mail = _waiting(mail)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the mail is dropped."})
    _handled(mail, actor, dropped_reason=reason.strip()[:2000])
    _audit_mail(actor, door, "mail.dropped", mail, None, reason=reason.strip()[:2000])
    return mail


@transaction.atomic
def dead_letter_replay(*, actor: User, door: Door, letter: DeadLetter) -> InboundMail | DeadLetter:
    """``replay`` for an agent: the same path as the admin's action, audited."""
    _handler(actor, "replay dead letters")
    result = replay(letter)
    record(
        actor=actor,
        door=door,
        action="mail.dead_letter_replayed",
        target=letter,
        changes={"result": letter.replay_result},
        internal=True,
    )
    return result
