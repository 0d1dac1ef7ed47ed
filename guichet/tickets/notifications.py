"""Notifications to staff: stored (the console lists them) and mailed by a background task."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from guichet.customers.models import User
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.jobs.mail import message_id, reply_address

from .models import Notification, Ticket

SUBJECTS = {
    "en": {
        Notification.Kind.SLA_WARNING: "[{ref}] 75 % of the {clock} time used",
        Notification.Kind.SLA_BREACH: "[{ref}] {clock} target breached",
        Notification.Kind.PRIORITY_RAISED: "[{ref}] priority raised to {priority}",
    },
    "fr": {
        Notification.Kind.SLA_WARNING: "[{ref}] 75 % du délai de {clock} consommé",
        Notification.Kind.SLA_BREACH: "[{ref}] délai de {clock} dépassé",
        Notification.Kind.PRIORITY_RAISED: "[{ref}] priorité relevée à {priority}",
    },
}
CLOCK_NAMES = {
    "en": {"first_response": "first response", "intervention": "intervention", "resolution": "resolution"},
    "fr": {"first_response": "première réponse", "intervention": "intervention", "resolution": "résolution"},
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
        lang = row.recipient.language if row.recipient.language in SUBJECTS else "en"
        subject = SUBJECTS[lang][row.kind].format(
            ref=row.ticket.reference,
            clock=CLOCK_NAMES[lang].get(row.clock, row.clock),
            priority=row.ticket.priority,
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
