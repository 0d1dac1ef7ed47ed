"""The console's own commands: canned replies filled for a ticket, macros, saved views, and who is looking at
a ticket. Ticket changes go through ``guichet.tickets.services`` (clocks, audit, mail follow)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from guichet.audit.models import Door
from guichet.customers.models import User
from guichet.customers.permissions import is_customer
from guichet.errors import PermissionDenied, ValidationError
from guichet.formats import reader_language
from guichet.i18n import reading
from guichet.tickets import services as tickets
from guichet.tickets.models import Ticket, TicketMessage

from .models import CannedReply, Presence, SavedView

# The words a canned reply may use, filled for the ticket it answers: {{customer_name}} and so on.
PLACEHOLDERS = {
    "customer_name": "the requester's name",
    "organisation": "the customer's organisation",
    "ticket_reference": "the ticket's reference (GT-…)",
    "ticket_subject": "the ticket's subject",
    "due_time": "the ticket's next due time, in the requester's time zone and language",
    "agent_name": "the name of the agent who sends it",
}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
SEEN_FOR = timedelta(seconds=45)  # a presence older than this is gone (the page beats every 15 s)


def check_canned_body(body: str) -> None:
    """Refuse a placeholder that does not exist (a typo would reach the customer as it is)."""
    unknown = sorted({name for name in PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        raise ValidationError({"body": f"Unknown placeholder {{{{{unknown[0]}}}}}: use one of {known}."})


def _due_text(ticket: Ticket, reader: User) -> str:
    if ticket.next_due_at is None:
        return _("no due time")
    zone = ZoneInfo(reader.time_zone or "UTC")
    with reading(reader_language(reader)):
        return formats.date_format(ticket.next_due_at.astimezone(zone), "DATETIME_FORMAT")


def canned_text(canned: CannedReply, *, ticket: Ticket, agent: User) -> str:
    """The canned reply's text with its placeholders filled for ``ticket``, as ``agent`` would send it."""
    requester = ticket.requester
    values = {
        "customer_name": requester.display_name,
        "organisation": ticket.organisation.name,
        "ticket_reference": ticket.reference,
        "ticket_subject": ticket.subject,
        "due_time": _due_text(ticket, requester),
        "agent_name": agent.display_name,
    }
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), canned.body)


@transaction.atomic
def macro_apply(
    *,
    actor: User,
    door: Door,
    ticket: Ticket,
    canned: CannedReply,
    body: str,
    expected_version: int | None,
) -> TicketMessage | None:
    """Answer ``ticket`` with ``body`` (the canned text as the agent left it; none: no answer), then make
    the macro's changes — one transaction: a refused change leaves no answer sent."""
    if is_customer(actor):
        raise PermissionDenied("Only provider staff use macros.")
    message = None
    if body.strip():
        message = tickets.ticket_reply(
            actor=actor, door=door, ticket=ticket, body=body, expected_version=expected_version
        )
        expected_version = None  # the reply bumped it; the lock is ours until the end of the transaction
    elif not canned.is_macro:
        raise ValidationError({"body": "Write the answer, or choose a macro that changes the ticket."})
    if canned.is_macro:
        tickets.ticket_change(
            actor=actor,
            door=door,
            ticket=ticket,
            expected_version=expected_version,
            status=canned.set_status or None,
            priority=canned.set_priority or None,
            team=canned.set_team if canned.set_team_id else ...,
            assignee=actor if canned.assign_to_me else ...,
        )
    return message


def view_save(*, user: User, name: str, query: str) -> SavedView:
    """Save (or replace) the queue's filters under ``name`` for ``user``."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    if len(name) > 60:
        raise ValidationError({"name": "A view's name has at most 60 characters."})
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query[:1000]}
    )
    return view


def presence_beat(*, user: User, ticket: Ticket, composing: bool, now: datetime | None = None) -> None:
    """``user`` has ``ticket`` open (and is typing an answer, or not)."""
    Presence.objects.update_or_create(
        ticket=ticket, user=user, defaults={"seen_at": now or timezone.now(), "composing": composing}
    )


def presence_leave(*, user: User, ticket: Ticket) -> None:
    Presence.objects.filter(ticket=ticket, user=user).delete()


def presence_others(*, user: User, ticket: Ticket, now: datetime | None = None) -> list[Presence]:
    """The other agents who have ``ticket`` open now, the one typing first."""
    since = (now or timezone.now()) - SEEN_FOR
    return list(
        Presence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(user=user)
        .select_related("user")
        .order_by("-composing", "user__username")
    )
