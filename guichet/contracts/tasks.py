"""Background work of contracts: the termination confirmation mail and the daily end of terminated lines."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _
from django_tasks import task

from guichet.customers.models import ContactRole, User
from guichet.formats import reader_language
from guichet.i18n import reading
from guichet.jobs.mail import send_once

from .models import TerminationRequest
from .services import terminate_ended


def _confirmation(values: dict[str, str]) -> tuple[str, str]:
    """The confirmation's subject and body in the active language."""
    subject = _("Termination request for %(service)s %(identifier)s") % values
    body = (
        _(
            "Hello %(name)s,\n\nWe have recorded the request made on %(requested_on)s by %(requester)s to "
            "end %(service)s %(identifier)s (%(organisation)s).\n\nThe contract's terms allow it to end at "
            "the earliest on %(last_day)s, its last day of service.\n%(explanation)s\n\nYour account "
            "manager: %(manager)s.\n"
        )
        % values
    )
    return subject, body


def _recipients(request: TerminationRequest) -> list[User]:
    organisation = request.subscription.organisation
    people = {request.requested_by.pk: request.requested_by}
    for contact in organisation.contacts.filter(is_active=True).select_related("user"):
        if contact.has_role(ContactRole.ADMIN):
            people.setdefault(contact.user.pk, contact.user)
    if organisation.account_manager is not None:
        people.setdefault(organisation.account_manager.pk, organisation.account_manager)
    return [person for person in people.values() if person.email and person.is_active]


@task()
def send_termination_confirmation(request_pk: int) -> int:
    """Mail the confirmation of a termination request; returns how many mails left. A failure raises, and
    the task's result shows it (the request itself stays recorded)."""
    request = TerminationRequest.objects.select_related(
        "subscription__service", "subscription__organisation__account_manager", "requested_by"
    ).get(pk=request_pk)
    subscription = request.subscription
    manager = subscription.organisation.account_manager
    sent = 0
    for person in _recipients(request):
        values = {
            "name": person.display_name,
            "service": subscription.service.name,
            "identifier": subscription.identifier,
            "organisation": subscription.organisation.name,
            "requested_on": request.requested_on.isoformat(),
            "requester": request.requested_by.display_name,
            "last_day": request.last_day.isoformat(),
            "explanation": request.explanation_in(reader_language(person)),
            "manager": f"{manager.display_name} <{manager.email}>" if manager else "-",
        }
        with reading(reader_language(person)):
            subject, body = _confirmation(values)
        message = EmailMessage(
            subject=subject.replace("\r", " ").replace("\n", " "),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        sent += send_once(message, "termination", request.pk, person.pk)  # a second run sends nothing again
    return sent


@task()
def end_terminated_subscriptions() -> int:

    return terminate_ended()
