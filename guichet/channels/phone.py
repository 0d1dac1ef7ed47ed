"""The phone: who is calling (their organisation, plan and phone-queue priority), and calls logged into
tickets by the agent who took them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from guichet.audit.models import Door
from guichet.customers.models import User, phone_digits
from guichet.customers.permissions import is_customer
from guichet.customers.selectors import contacts_for_number, may_date_events
from guichet.errors import PermissionDenied, ValidationError
from guichet.plans.selectors import plan_for_organisation
from guichet.tickets import services as tickets
from guichet.tickets.models import OPEN_STATUSES, Channel, Ticket, TicketMessage
from guichet.tickets.selectors import tickets_visible_to

from .models import PhoneCall


def caller(number: str, *, user: User) -> dict[str, Any] | None:
    """What ``user`` (the agent) sees when the phone rings: the contact with that number, its organisation,
    its plan and the plan's phone-queue priority, and those of its open tickets the agent may see (newest
    first: the queue's scope, never more). None for an unknown number.
    A number several active contacts share is shown as such (``candidates``), with no contact, organisation
    or plan: the agent asks who is calling rather than reading another organisation's tickets to them."""
    candidates = contacts_for_number(number)
    if not candidates:
        return None
    if len(candidates) > 1:
        return {
            "contact": None,
            "organisation": None,
            "plan": None,
            "phone_queue_priority": None,
            "phone_included": False,
            "open_tickets": [],
            "candidates": candidates,
        }
    contact = candidates[0]
    plan = plan_for_organisation(contact.organisation)
    open_tickets = list(
        tickets_visible_to(user)
        .filter(organisation=contact.organisation, status__in=OPEN_STATUSES)
        .order_by("-opened_at", "-pk")
        .values_list("reference", "subject")[:10]
    )
    return {
        "contact": contact,
        "organisation": contact.organisation,
        "plan": plan,
        "phone_queue_priority": plan.get_phone_queue_priority_display() if plan else None,
        "phone_included": bool(plan and plan.includes_channel(Channel.PHONE)),
        "open_tickets": open_tickets,
        "candidates": candidates,
    }


@transaction.atomic
def log_call(
    *,
    agent: User,
    number: str,
    duration_seconds: int,
    summary: str,
    ticket: Ticket | None = None,
    subject: str = "",
    category: str = "request",
    priority: str = "medium",
    requester: User | None = None,
    at: datetime | None = None,
    can_import: bool = False,
) -> PhoneCall:
    """Log a call: a public message of ``ticket`` written by the agent (talking to the customer answers
    them), or a new ticket on the phone channel for the caller (or ``requester``, when the number is not one
    contact's: unknown, or shared by several). The plan must include the phone. The call is logged now: a
    past ``at`` (started_at) would be a first response before it happened, so only imports give one
    (``may_date_events``)."""
    if is_customer(agent):
        raise PermissionDenied("Only provider staff log calls.")
    errors = {}
    if not summary.strip():
        errors["summary"] = "Say what the call was about."
    if duration_seconds < 0:
        errors["duration_seconds"] = "A duration cannot be negative."
    digits = phone_digits(number)
    if not digits:
        errors["number"] = "Give the caller's number."
    if at is not None and not may_date_events(agent, can_import=can_import):
        errors["started_at"] = tickets.IMPORTS_ONLY
    if errors:
        raise ValidationError(errors)
    candidates = contacts_for_number(digits)
    contact = candidates[0] if len(candidates) == 1 else None  # shared: nobody is picked for the agent
    started = at or timezone.now()
    minutes = max(1, round(duration_seconds / 60))
    who = contact.user.display_name if contact else f"+{digits}"
    body = f"Phone call with {who} (+{digits}), {minutes} min:\n{summary.strip()}"
    message: TicketMessage | None
    if ticket is not None:
        message = tickets.ticket_reply(
            actor=agent,
            door=Door.PHONE,
            ticket=ticket,
            body=body,
            channel=Channel.PHONE,
            at=at,
            can_import=can_import,
        )
        ticket = message.ticket
    else:
        person = requester or (contact.user if contact else None)
        person_contact = getattr(person, "contact", None)
        if person is None or person_contact is None:
            why = "is several contacts' number" if len(candidates) > 1 else "is not a contact's number"
            raise ValidationError({"requester_id": f"+{digits} {why}: say which contact called."})
        ticket = tickets.ticket_create(
            actor=agent,
            door=Door.PHONE,
            organisation=person_contact.organisation,
            requester=person,
            subject=subject.strip() or summary.strip().splitlines()[0][:200],
            description=body,
            category=category,
            priority=priority,
            channel=Channel.PHONE,
            opened_at=at,
            can_import=can_import,
        )
        message = ticket.opening_message
    return PhoneCall.objects.create(
        agent=agent,
        number=digits,
        contact=contact,
        started_at=started,
        duration_seconds=duration_seconds,
        summary=summary.strip(),
        ticket=ticket,
        ticket_message=message,
    )
