"""Phone calls in the console: who is calling (every contact with that number, with its organisation; the
plan's place in the phone queue; the organisation's open tickets the agent may see), then the call logged
into a new ticket or as a reply to one (``channels.phone.log_call``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guichet.channels import phone
from guichet.customers.access import form_id, staff_only
from guichet.customers.models import User
from guichet.customers.selectors import contacts_for_number, people_with_address
from guichet.errors import NotFound, ValidationError
from guichet.tickets.models import OPEN_STATUSES, Category, Priority
from guichet.tickets.selectors import ticket_get, tickets_visible_to

from .fields import labelled

LABELS = {
    "number": gettext_lazy("Caller's number"),
    "duration_seconds": gettext_lazy("Duration (minutes)"),
    "summary": gettext_lazy("What the call was about"),
    "ticket": gettext_lazy("Ticket to reply to"),
    "subject": gettext_lazy("Subject"),
    "category": gettext_lazy("Category"),
    "priority": gettext_lazy("Priority"),
    "requester_id": gettext_lazy("Who called"),
    "requester": gettext_lazy("Who called"),
    "channel": gettext_lazy("Channel"),
    "organisation": gettext_lazy("Organisation"),
    "started_at": gettext_lazy("Start"),
}


def _lookup(user: User, number: str) -> dict | None:
    """``phone.caller`` for the screen, the open tickets limited to those ``user`` may see."""
    found = phone.caller(number, user=user) if number.strip() else None
    if found is None or found["organisation"] is None:
        return found
    tickets = tickets_visible_to(user).filter(organisation=found["organisation"], status__in=OPEN_STATUSES)
    return {**found, "open_tickets": list(tickets.order_by("-opened_at", "-pk")[:10])}


def _page(request, number: str, errors: list[str], status: int = 200):
    return render(
        request,
        "console/calls.html",
        {
            "number": number,
            "found": _lookup(request.user, number),
            "categories": Category.choices,
            "priorities": Priority.choices,
            "errors": errors,
            "values": request.POST or {"category": Category.REQUEST, "priority": Priority.MEDIUM},
        },
        status=status,
    )


@staff_only
def calls(request):
    return _page(request, request.GET.get("number", "")[:40], [])


def _minutes(value: str) -> int:
    minutes = form_id(value)
    if minutes is None or minutes > 24 * 60:
        raise ValidationError({"duration_seconds": _("Give the call's length in whole minutes.")})
    return minutes * 60


def _requester(request, number: str) -> User | None:
    """The contact the agent says called: one of the number's contacts (picked by id), or a contact named by
    address for a number no contact has; None to let ``log_call`` take the number's one contact."""
    picked = form_id(request.POST.get("requester", ""))
    if picked is not None:
        for contact in contacts_for_number(number):
            if contact.user_id == picked:
                return contact.user
        raise ValidationError({"requester": _("Pick one of the contacts with this number.")})
    address = request.POST.get("requester_email", "").strip()
    if not address:
        return None
    people = [p for p in people_with_address(address) if getattr(p, "contact", None) is not None]
    if len(people) != 1 or people[0].is_provider_staff:
        raise ValidationError({"requester": _("No single customer contact has this address.")})
    return people[0]


@staff_only
@require_POST
def log(request):
    number = request.POST.get("number", "")[:40]
    reference = request.POST.get("ticket", "").strip()
    try:
        ticket = None
        if reference:
            try:
                ticket = ticket_get(request.user, reference)
            except NotFound:
                raise ValidationError(
                    {"ticket": _("No ticket %(ref)s you can see.") % {"ref": reference}}
                ) from None
        call = phone.log_call(
            agent=request.user,
            number=number,
            duration_seconds=_minutes(request.POST.get("minutes", "")),
            summary=request.POST.get("summary", ""),
            ticket=ticket,
            subject=request.POST.get("subject", ""),
            category=request.POST.get("category", Category.REQUEST),
            priority=request.POST.get("priority", Priority.MEDIUM),
            requester=None if ticket else _requester(request, number),
        )
    except ValidationError as exc:
        return _page(request, number, labelled(exc, LABELS), 400)
    messages.success(request, _("Call logged in %(ref)s.") % {"ref": call.ticket.reference})
    return redirect("console-ticket", ref=call.ticket.reference)
