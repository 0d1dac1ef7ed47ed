"""Mail to customers about their tickets: received, answered, resolved, a quote waiting for their decision —
in the reader's language, threaded so that their reply comes back to the same ticket.

Each mail has a Message-ID Guichet chooses (``ticket-GT-2026-000123.<what>.<recipient>@<domain>``), recorded
in ``MailThread`` before it leaves: a reply's In-Reply-To finds the ticket, and a task run twice finds the row
and sends nothing the second time. Sent by a background task; an SMTP failure schedules another attempt
later (up to ``ATTEMPTS``), with the row rolled back so that the retry sends it.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _lazy
from django_tasks import task

from guichet.audit.models import Door
from guichet.customers.models import User
from guichet.customers.permissions import is_customer
from guichet.customers.selectors import may_act
from guichet.formats import reader_language
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.amounts import Money
from guichet.plans.models import clock_in_sentence
from guichet.tickets import events
from guichet.tickets.models import (
    Channel,
    MessageKind,
    Quote,
    QuoteStatus,
    SlaClock,
    Status,
    Ticket,
    TicketMessage,
)
from guichet.tickets.services import may_decide_quote

from ..models import Mailbox, MailThread, Reminder
from .parsing import safe_header_value

ATTEMPTS = 5
RETRY_AFTER = (60, 300, 900, 3600)  # seconds before attempts 2, 3, 4, 5

# The mails to customers, in English; gettext gives the reader's language (build() renders under it).
MAILS: dict[str, tuple[Promise, Promise]] = {  # a mail's (subject, body)
    "received": (
        _lazy("[{ref}] {subject}"),
        _lazy(
            'Hello {name},\n\nWe have received your request "{subject}". Its reference is {ref}.\n\n'
            "{dues}\nReply to this mail to add to your request.\n\n-- \n{team}"
        ),
    ),
    "reply": (
        _lazy("Re: [{ref}] {subject}"),
        _lazy("{body}\n\n-- \n{author}, {team}\nReply to this mail to answer."),
    ),
    "resolved": (
        _lazy("[{ref}] resolved: {subject}"),
        _lazy(
            'Hello {name},\n\nYour request {ref} "{subject}" is resolved.\n\nIf the problem is still there, '
            "reply to this mail: the request will be reopened.\n\n-- \n{team}"
        ),
    ),
    "reminder": (
        _lazy("[{ref}] waiting for your answer: {subject}"),
        _lazy(
            'Hello {name},\n\nYour request {ref} "{subject}" is waiting for your answer since {since}.\n\n'
            "{body}\n\nReply to this mail to go on; without an answer the request may be closed.\n\n"
            "-- \n{team}"
        ),
    ),
    "quote": (
        _lazy("[{ref}] quote waiting for your decision: {subject}"),
        _lazy(
            'Hello {name},\n\nFor your request {ref} "{subject}" we propose: {amount}.\n\n{description}'
            "The work starts once it is accepted. Accept or refuse it in the extranet (Tickets, {ref}); "
            "your organisation's admin and billing contacts decide.\n\n-- \n{team}"
        ),
    ),
}
DUES = _lazy("Our commitments for it:")
DUE_LINE = _lazy("- {clock} by {due}")


def domain() -> str:
    return settings.GUICHET_MAIL_DOMAIN


def _sender_address() -> str:
    box = Mailbox.objects.filter(is_active=True).order_by("pk").first()
    return box.address if box else settings.DEFAULT_FROM_EMAIL


def recipients(ticket: Ticket, kind: str = "") -> list[User]:
    """The requester and the customers watching: contacts who may act (``may_act``: not deactivated) with an
    address, each once. For a quote, also the organisation's contacts who decide it (admin and billing:
    ``services.may_decide_quote``)."""
    people = [
        ticket.requester,
        *ticket.watchers.filter(kind=User.Kind.CUSTOMER).select_related("contact__organisation"),
    ]
    if kind == "quote":
        contacts = User.objects.filter(
            kind=User.Kind.CUSTOMER, contact__organisation=ticket.organisation_id
        ).select_related("contact__organisation")
        people += [u for u in contacts.order_by("pk") if may_decide_quote(u, ticket)]
    seen: dict[int, User] = {}
    for user in people:
        if user is not None and may_act(user) and user.email and is_customer(user):
            seen.setdefault(user.pk, user)
    return list(seen.values())


def _dues(ticket: Ticket, user: User) -> str:
    zone = ZoneInfo(user.time_zone or settings.GUICHET_PROVIDER_TIME_ZONE)
    lines = [
        str(DUE_LINE).format(
            clock=clock_in_sentence(c.clock), due=due.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        )
        for c in SlaClock.objects.filter(ticket=ticket, stopped=False, due_at__isnull=False).order_by(
            "due_at"
        )
        if (due := c.due_at) is not None
    ]
    return (str(DUES) + "\n" + "\n".join(lines) + "\n") if lines else ""


def _thread(ticket: Ticket) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a new mail about ``ticket``: the customer's latest mail, after the
    whole thread's ids known so far, oldest first (bounded, as mail clients do)."""
    ids = list(MailThread.objects.filter(ticket=ticket).order_by("pk").values_list("message_id", flat=True))
    inbound = [i for i in ids if not i.startswith(f"ticket-{ticket.reference}.")]
    last = inbound[-1] if inbound else (ids[-1] if ids else None)
    return last, ids[-20:]


def build(
    ticket: Ticket,
    kind: str,
    user: User,
    message: TicketMessage | None,
    message_id: str,
    quote: Quote | None = None,
) -> EmailMessage:
    with translation.override(reader_language(user)):
        return _build(ticket, kind, user, message, message_id, quote)


def _build(
    ticket: Ticket,
    kind: str,
    user: User,
    message: TicketMessage | None,
    message_id: str,
    quote: Quote | None,
) -> EmailMessage:
    subject_t, body_t = (str(text) for text in MAILS[kind])
    values = {
        "ref": ticket.reference,
        "subject": ticket.subject,
        "name": user.display_name,
        "team": settings.GUICHET_MAIL_SIGNATURE,
        "dues": _dues(ticket, user) if kind == "received" else "",
        "body": message.body if message else "",
        "amount": str(Money.of(quote.amount, quote.currency)) if quote else "",
        "description": f"{quote.description.strip()}\n\n" if quote and quote.description.strip() else "",
        "author": message.author.display_name if message and message.author else "",
        "since": (
            message.created_at.astimezone(
                ZoneInfo(user.time_zone or settings.GUICHET_PROVIDER_TIME_ZONE)
            ).strftime("%Y-%m-%d %H:%M")
            if message
            else ""
        ),
    }
    in_reply_to, references = _thread(ticket)
    headers = {
        "Message-ID": f"<{message_id}>",
        "X-Guichet-Ticket": ticket.reference,
    }
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
        headers["References"] = " ".join(f"<{i}>" for i in references)
    if kind != "reply":
        headers["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer it
    sender = _sender_address()
    headers["X-Loop"] = sender  # a copy that comes back to us is known as ours (services._loop)
    return EmailMessage(
        subject=safe_header_value(subject_t.format(**values)),
        body=body_t.format(**values),
        from_email=sender,
        to=[user.email],
        reply_to=[sender],
        headers={k: safe_header_value(v) for k, v in headers.items()},
    )


@task()
def send_ticket_mail(
    ticket_id: int, kind: str, message_pk: int | None = None, attempt: int = 1, quote_pk: int | None = None
) -> int:
    """Mail ``kind`` about a ticket to each of its customer recipients not yet sent to; returns how many
    left. Idempotent per recipient (the Message-ID row); retried later on an SMTP failure."""
    ticket = Ticket.objects.select_related("requester", "organisation").filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    message = (
        TicketMessage.objects.select_related("author").filter(pk=message_pk).first() if message_pk else None
    )
    quote = Quote.objects.filter(pk=quote_pk, ticket=ticket).first() if quote_pk else None
    if kind == "quote" and (quote is None or quote.status != QuoteStatus.SENT):
        return 0  # decided (or gone) before its mail left: nothing to ask any more
    sent = 0
    for user in recipients(ticket, kind):
        about = message_pk or quote_pk or ""
        message_id = f"ticket-{ticket.reference}.{kind}{about}.u{user.pk}@{domain()}"
        try:
            with transaction.atomic():
                _, created = MailThread.objects.get_or_create(
                    message_id=message_id, defaults={"ticket": ticket, "outbound": True}
                )
                if not created:
                    continue  # sent by an earlier run
                build(ticket, kind, user, message, message_id, quote).send()
                sent += 1
        except (smtplib.SMTPException, OSError):
            if attempt >= ATTEMPTS:
                raise
            delay = RETRY_AFTER[min(attempt, len(RETRY_AFTER)) - 1]
            send_ticket_mail.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                ticket_id, kind, message_pk, attempt + 1, quote_pk
            )
            return sent
    return sent


def on_opened(sender, ticket: Ticket, door: Door, **kwargs) -> None:
    if door != "import":  # history brought from another helpdesk is not news to the customer
        enqueue_with_commit(send_ticket_mail, ticket.pk, "received")


def on_staff_reply(sender, message: TicketMessage, **kwargs) -> None:
    if message.channel != Channel.CHAT:  # a chat line reaches the customer in the chat panel, not by mail
        enqueue_with_commit(send_ticket_mail, message.ticket_id, "reply", message.pk)


def on_resolved(sender, ticket: Ticket, **kwargs) -> None:
    enqueue_with_commit(send_ticket_mail, ticket.pk, "resolved")


def on_quote_sent(sender, quote: Quote, **kwargs) -> None:
    enqueue_with_commit(send_ticket_mail, quote.ticket_id, "quote", None, 1, quote.pk)


def connect() -> None:

    events.ticket_opened.connect(on_opened, dispatch_uid="channels.mail.opened")
    events.staff_replied.connect(on_staff_reply, dispatch_uid="channels.mail.reply")
    events.ticket_resolved.connect(on_resolved, dispatch_uid="channels.mail.resolved")
    events.quote_sent.connect(on_quote_sent, dispatch_uid="channels.mail.quote")


def remind_waiting(now=None) -> int:
    """Queue a reminder for each ticket that has waited for its customer more than
    ``GUICHET_PENDING_REMINDER_DAYS`` days since its last public message, once per such silence."""

    now = now or timezone.now()
    last = TicketMessage.objects.filter(ticket=OuterRef("pk"), kind=MessageKind.PUBLIC).order_by(
        "-created_at", "-pk"
    )
    waiting = (
        Ticket.objects.filter(status=Status.PENDING_CUSTOMER)
        .annotate(last_id=Subquery(last.values("pk")[:1]), last_at=Subquery(last.values("created_at")[:1]))
        .filter(last_at__lte=now - timedelta(days=settings.GUICHET_PENDING_REMINDER_DAYS))
        .exclude(Exists(Reminder.objects.filter(ticket=OuterRef("pk"), after_message=OuterRef("last_id"))))
        .order_by("pk")
    )
    done = 0
    for ticket in waiting[:500]:
        with transaction.atomic():
            _, created = Reminder.objects.get_or_create(
                ticket=ticket, after_message_id=ticket.last_id, defaults={"sent_at": now}
            )
            if created:
                enqueue_with_commit(send_ticket_mail, ticket.pk, "reminder", ticket.last_id)
                done += 1
    return done


@task()
def pending_reminders() -> int:
    """Run by the scheduler every hour."""
    return remind_waiting()
