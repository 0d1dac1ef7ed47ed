"""Notifications to staff: stored (the console lists them) and mailed by a background task."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_tasks import task

from guichet.customers.models import User
from guichet.formats import reader_language
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.jobs.mail import message_id, reply_address
from guichet.plans.models import clock_in_sentence

from .models import Notification, Ticket

# Subjects of the mails to staff, in English; gettext gives the recipient's language (send_notification).
SUBJECTS: dict[str, Promise] = {
    Notification.Kind.SLA_WARNING: _lazy("[{ref}] 75 % of the {clock} time used"),
    Notification.Kind.SLA_BREACH: _lazy("[{ref}] {clock} target breached"),
    Notification.Kind.PRIORITY_RAISED: _lazy("[{ref}] priority raised to {priority}"),
    Notification.Kind.URGENT_INCIDENT: _lazy("[{ref}] new urgent incident"),
    Notification.Kind.CLAIM_FILED: _lazy("[{ref}] SLA claim filed"),
}


def notify(
    *, recipients: Iterable[User], ticket: Ticket, kind: str, clock: str, message: str, at: datetime
) -> list[Notification]:
    """Store one notification per recipient and enqueue its mail, inside the caller's transaction."""
    rows = [
        Notification(recipient=r, ticket=ticket, kind=kind, clock=clock, message=message, created_at=at)
        for r in {r.pk: r for r in recipients if r.is_active}.values()
    ]
    Notification.objects.bulk_create(rows)
    for row in rows:
        enqueue_with_commit(send_notification, row.pk)
    return rows


def notify_each(
    *, recipients: Iterable[User], ticket: Ticket, kind: str, message: Callable[[], str], at: datetime
) -> list[Notification]:
    """As ``notify``, with each recipient's text written in the recipient's language: ``message`` is called
    under it (its strings are gettext's)."""
    rows: list[Notification] = []
    for user in {r.pk: r for r in recipients if r.is_active}.values():
        with translation.override(reader_language(user)):
            text = message()
        rows += notify(recipients=[user], ticket=ticket, kind=kind, clock="", message=text, at=at)
    return rows


def team_of(ticket: Ticket) -> list[User]:
    """The ticket's team: its members and its supervisor, active, each once (none without a team)."""
    if ticket.team is None:
        return []
    people = [*ticket.team.members.filter(is_active=True).order_by("pk")]
    if ticket.team.supervisor is not None:
        people.append(ticket.team.supervisor)
    return list({u.pk: u for u in people if u.is_active}.values())


def urgent_message(ticket: Ticket) -> Callable[[], str]:
    def text() -> str:
        return _(
            "New urgent incident %(ref)s for %(organisation)s: %(subject)s. Opened by %(requester)s; "
            "it is in the %(team)s queue."
        ) % {
            "ref": ticket.reference,
            "organisation": ticket.organisation.name,
            "subject": ticket.subject,
            "requester": ticket.requester.display_name if ticket.requester else "?",
            "team": ticket.team.name if ticket.team else "?",
        }

    return text


def urgent_incident(*, ticket: Ticket, at: datetime) -> list[Notification]:
    """A new urgent incident: its team hears at once (inside the caller's transaction; mailed on commit).
    The engineer on call, when a rota is configured, hears from ``channels.oncall``."""
    return notify_each(
        recipients=team_of(ticket),
        ticket=ticket,
        kind=Notification.Kind.URGENT_INCIDENT,
        message=urgent_message(ticket),
        at=at,
    )


@task()
def send_notification(notification_id: int) -> bool:
    """Mail one notification. Idempotent: a notification already mailed is not mailed again."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("recipient", "ticket")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if row is None or not row.recipient.email:
            return False
        with translation.override(reader_language(row.recipient)):
            subject = str(SUBJECTS[row.kind]).format(
                ref=row.ticket.reference, clock=clock_in_sentence(row.clock), priority=row.ticket.priority
            )
        # The same Message-ID every time: a run repeated after a crash between the send and the commit
        # sends a duplicate that mail clients recognise (guichet/jobs/mail.py).
        # Replies come back to an address signed for this person and ticket: the one proof a mail from a
        # staff address was written by that person (guichet/channels/mail/services.py).
        EmailMessage(
            subject,
            row.message,
            settings.DEFAULT_FROM_EMAIL,
            [row.recipient.email],
            reply_to=[
                reply_address(settings.DEFAULT_FROM_EMAIL, user_pk=row.recipient.pk, ticket_pk=row.ticket.pk)
            ],
            headers={
                "Message-ID": message_id("notification", row.pk),
                "X-Loop": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
            },
        ).send()
        row.emailed_at = timezone.now()
        row.save(update_fields=["emailed_at"])
    return True
