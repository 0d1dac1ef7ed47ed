"""Held and triaged mail in the console, read safely (the parser's plain text, HTML sanitised by nh3 and
made text; attachments listed, never rendered), then turned into a ticket, added to one, or dropped with a
reason; dead letters replayed. Each act is a service of ``channels.mail.services`` (audited, checked)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guichet.audit.models import Door
from guichet.channels.mail import services
from guichet.channels.models import InboundMail
from guichet.channels.selectors import (
    LIMIT,
    dead_letter_get,
    dead_letters,
    handled_mail,
    inbound_mail_get,
    waiting_mail,
)
from guichet.customers.access import staff_only
from guichet.customers.models import User
from guichet.customers.permissions import may_handle_mail
from guichet.customers.selectors import people_with_address
from guichet.errors import NotFound, ValidationError
from guichet.tickets.models import Category, MessageKind, Priority
from guichet.tickets.selectors import ticket_get

from .fields import labelled

LABELS = {
    "requester": gettext_lazy("For the contact (e-mail address)"),
    "subject": gettext_lazy("Subject"),
    "category": gettext_lazy("Category"),
    "priority": gettext_lazy("Priority"),
    "channel": gettext_lazy("Channel"),
    "organisation": gettext_lazy("Organisation"),
    "ticket": gettext_lazy("Ticket (its reference)"),
    "body": gettext_lazy("Message"),
    "reason": gettext_lazy("Why it is dropped"),
    "mail": gettext_lazy("Mail"),
    "attachments": gettext_lazy("Attachments"),
}


def _handler(request) -> None:
    if not may_handle_mail(request.user):
        raise Forbidden("Held mail is for the support desk, supervisors and admins.")


@staff_only
def inbox(request):
    _handler(request)
    return render(
        request,
        "console/mail.html",
        {
            "waiting": waiting_mail(request.user)[:LIMIT],
            "handled": handled_mail(request.user)[:20],
        },
    )


def _read(mail: InboundMail) -> dict:
    """The mail as the page shows it: its text and its attachments' names, types and sizes."""
    try:
        parsed = services.read(mail)
    except Exception:  # a mail the parser trips on is shown as unreadable, never rendered
        return {"readable": False}
    return {
        "readable": True,
        "sender_name": parsed.sender_name,
        "text": parsed.text,
        "attachments": [
            {"name": a.filename, "type": a.content_type, "kb": max(1, round(len(a.data) / 1024))}
            for a in parsed.attachments
        ],
        "damaged": parsed.damaged,
    }


def _page(request, mail: InboundMail, errors: list[str], status: int = 200):
    return render(
        request,
        "console/mail_one.html",
        {
            "mail": mail,
            "read": _read(mail),
            "waiting": mail.outcome in services.WAITING and mail.handled_at is None,
            "categories": Category.choices,
            "priorities": Priority.choices,
            "errors": errors,
            "values": request.POST
            or {
                "requester": mail.sender,
                "subject": mail.subject,
                "category": Category.REQUEST,
                "priority": Priority.MEDIUM,
            },
        },
        status=status,
    )


@staff_only
def one(request, pk: int):
    _handler(request)
    return _page(request, inbound_mail_get(request.user, pk), [])


def _requester(address: str) -> User:
    people = [p for p in people_with_address(address) if not p.is_provider_staff]
    if len(people) != 1:
        raise ValidationError({"requester": _("No single customer contact has this address.")})
    return people[0]


@staff_only
@require_POST
def to_ticket(request, pk: int):
    _handler(request)
    mail = inbound_mail_get(request.user, pk)
    try:
        ticket = services.held_to_ticket(
            actor=request.user,
            door=Door.WEB,
            mail=mail,
            requester=_requester(request.POST.get("requester", "")),
            subject=request.POST.get("subject", ""),
            category=request.POST.get("category", Category.REQUEST),
            priority=request.POST.get("priority", Priority.MEDIUM),
        )
    except ValidationError as exc:
        return _page(request, mail, labelled(exc, LABELS), 400)
    messages.success(request, _("Ticket %(ref)s opened from the mail.") % {"ref": ticket.reference})
    return redirect("console-ticket", ref=ticket.reference)


@staff_only
@require_POST
def to_reply(request, pk: int):
    _handler(request)
    mail = inbound_mail_get(request.user, pk)
    reference = request.POST.get("ticket", "").strip()
    try:
        try:
            ticket = ticket_get(request.user, reference)
        except NotFound:
            raise ValidationError(
                {"ticket": _("No ticket %(ref)s you can see.") % {"ref": reference}}
            ) from None
        message = services.held_to_reply(actor=request.user, door=Door.WEB, mail=mail, ticket=ticket)
    except ValidationError as exc:
        return _page(request, mail, labelled(exc, LABELS), 400)
    if message.kind == MessageKind.INTERNAL:
        done = _("Mail added to %(ref)s as an internal note: its sender is not a contact of the ticket.")
    else:
        done = _("Mail added to %(ref)s as the contact's reply.")
    messages.success(request, done % {"ref": message.ticket.reference})
    return redirect("console-ticket", ref=message.ticket.reference)


@staff_only
@require_POST
def drop(request, pk: int):
    _handler(request)
    mail = inbound_mail_get(request.user, pk)
    try:
        services.held_drop(
            actor=request.user, door=Door.WEB, mail=mail, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return _page(request, mail, labelled(exc, LABELS), 400)
    messages.success(request, _("Mail dropped."))
    return redirect("console-mail")


@staff_only
def letters(request):
    _handler(request)
    return render(request, "console/dead_letters.html", {"letters": dead_letters(request.user)[:LIMIT]})


@staff_only
@require_POST
def replay(request, pk: int):
    _handler(request)
    letter = dead_letter_get(request.user, pk)
    result = services.dead_letter_replay(actor=request.user, door=Door.WEB, letter=letter)
    if isinstance(result, InboundMail):
        messages.success(request, _("Replayed: the mail was filed."))
    else:
        messages.error(request, _("Replayed: the mail failed again (kept as a new dead letter)."))
    return redirect("console-dead-letters")
