"""Mail of the availability app: the notice of a planned maintenance to the affected contacts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _
from django_tasks import task

from guichet.customers.models import Contact, ContactRole
from guichet.formats import reader_language
from guichet.i18n import reading
from guichet.jobs.mail import send_once

from .models import Outage


def _notice(values: dict[str, str]) -> tuple[str, str]:
    """The notice's subject and body in the active language."""
    subject = _("Planned maintenance: %(title)s") % values
    body = (
        _(
            "Hello %(name)s,\n\nPlanned maintenance will affect %(services)s from %(start)s to %(end)s "
            "(%(tz)s).\n\n%(description)s\n"
        )
        % values
    )
    return subject, body


@task()
def send_maintenance_notice(outage_pk: int) -> int:
    """Mail each admin or technical contact of the affected organisations once; returns how many mails."""
    outage = Outage.objects.get(pk=outage_pk)
    subscriptions = list(outage.subscriptions.select_related("service"))
    by_org: dict[int, list[str]] = {}
    for s in subscriptions:
        by_org.setdefault(s.organisation_id, []).append(f"{s.service.name} {s.identifier}")
    sent = 0
    contacts = Contact.objects.filter(organisation_id__in=by_org, is_active=True).select_related("user")
    for contact in contacts:
        if not (contact.has_role(ContactRole.ADMIN) or contact.has_role(ContactRole.TECHNICAL)):
            continue
        user = contact.user
        tz = ZoneInfo(user.time_zone or settings.GUICHET_PROVIDER_TIME_ZONE)
        values = {
            "name": user.display_name,
            "title": outage.title,
            "services": ", ".join(by_org[contact.organisation_id]),
            "start": outage.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "end": outage.ended_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if outage.ended_at else "?",
            "tz": tz.key,
            "description": outage.description,
        }
        with reading(reader_language(user)):
            subject, body = _notice(values)
        message = EmailMessage(
            subject=subject.replace("\r", " ").replace("\n", " "),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        sent += send_once(message, "maintenance", outage.pk, user.pk)  # a second run sends nothing again
    return sent
