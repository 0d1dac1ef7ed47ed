"""The context panel beside a ticket in the console: who the customer is, what their plan entitles them to,
what is happening to their services and what else they have open.

Gathered in one function, ``ticket_context``, from each app's selectors (the rules and queries live there);
this module only composes them and words the codes for the page. Its cost does not grow with the
organisation: at most a dozen queries however many contacts, subscriptions, outages or tickets it has
(tests/console/test_context.py holds the bound).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guichet.availability.selectors import OrganisationMonth, organisation_month
from guichet.contracts.models import Subscription, SubscriptionStatus
from guichet.contracts.selectors import live_count, organisation_subscriptions, subscription_get
from guichet.customers.models import Contact, ContactRole, Organisation, User
from guichet.customers.selectors import organisation_contacts
from guichet.errors import NotFound
from guichet.plans.models import SlaPlan
from guichet.plans.selectors import CalendarNow, calendar_now, calendars_by_id
from guichet.tickets.models import Ticket
from guichet.tickets.selectors import other_open_tickets
from guichet.tickets.services import quota_usage
from guichet.tickets.sla import calendar_field

CONTACTS_SHOWN = 12
OTHER_TICKETS_SHOWN = 10
SERVICES_SHOWN = 10

ROLES: dict[str, Promise] = {
    ContactRole.ADMIN: _("administrative"),
    ContactRole.TECHNICAL: _("technical"),
    ContactRole.BILLING: _("billing"),
}
SUBSCRIPTION_STATUSES: dict[str, Promise] = {
    SubscriptionStatus.ORDERED: _("Ordered"),
    SubscriptionStatus.DEPLOYING: _("Being deployed"),
    SubscriptionStatus.ACTIVE: _("Active"),
    SubscriptionStatus.SUSPENDED: _("Suspended"),
    SubscriptionStatus.TERMINATED: _("Terminated"),
}
CALENDAR_USES: dict[str, Promise] = {
    "support_calendar": _("Support hours"),
    "fault_calendar": _("Fault-handling hours"),
    "billing_calendar": _("Billing hours"),
}


@dataclass(frozen=True)
class Person:
    """A contact of the organisation as an agent needs them on the phone."""

    name: str
    email: str
    phone: str
    roles: list[Promise]
    language: str  # the language's own name: "Français"
    time_zone: str
    local_time: datetime | None  # now, in their zone
    is_requester: bool


@dataclass(frozen=True)
class Hours:
    """One of the plan's calendars, now."""

    uses: list[Promise]  # "Support hours", "Fault-handling hours"… (one calendar may serve several)
    now: CalendarNow
    runs_clocks: bool  # the ticket's clocks count this calendar's open time


@dataclass(frozen=True)
class TicketContext:
    organisation: Organisation
    contacts: list[Person]  # the requester first
    contacts_total: int
    plan: SlaPlan
    hours: list[Hours]
    subscription: Subscription | None
    subscription_status: Promise | str
    services_total: int
    month: OrganisationMonth
    services_shown: int
    other_tickets: list[Ticket]
    other_total: int
    quota: dict[str, Any]


def _local(zone: str, now: datetime) -> datetime | None:
    try:
        return timezone.localtime(now, ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _person(user: User, contact: Contact | None, now: datetime, *, is_requester: bool) -> Person:
    return Person(
        name=user.display_name,
        email=user.email,
        phone=contact.phone if contact else "",
        roles=[ROLES[role] for role in (contact.roles if contact else []) if role in ROLES],
        language=User.Language(user.language).label if user.language in User.Language.values else "",
        time_zone=user.time_zone,
        local_time=_local(user.time_zone, now),
        is_requester=is_requester,
    )


def _people(ticket: Ticket, now: datetime) -> tuple[list[Person], int]:
    contacts, total = organisation_contacts(
        ticket.organisation_id, first_user_id=ticket.requester_id, limit=CONTACTS_SHOWN
    )
    people = [_person(c.user, c, now, is_requester=c.user_id == ticket.requester_id) for c in contacts]
    if not any(p.is_requester for p in people):  # staff opening on a customer's behalf, a former contact
        people.insert(0, _person(ticket.requester, None, now, is_requester=True))
    return people, total


def _hours(ticket: Ticket, now: datetime) -> list[Hours]:
    plan = ticket.plan
    fields = [f for f in CALENDAR_USES if getattr(plan, f"{f}_id")]
    rows = calendars_by_id(getattr(plan, f"{f}_id") for f in fields)
    clocks = calendar_field(plan, ticket.category)
    by_calendar: dict[int, list[str]] = {}
    for f in fields:
        by_calendar.setdefault(getattr(plan, f"{f}_id"), []).append(f)
    return [
        Hours([CALENDAR_USES[f] for f in uses], calendar_now(rows[pk], now), clocks in uses)
        for pk, uses in by_calendar.items()
        if pk in rows
    ]


def ticket_context(user: User, ticket: Ticket, now: datetime | None = None) -> TicketContext:
    """Everything the panel beside ``ticket`` shows, as ``user`` may see it (``ticket`` was read through
    ``tickets.selectors.ticket_get``, with its organisation, requester and plan)."""
    now = now or timezone.now()
    people, contacts_total = _people(ticket, now)
    subscription = None
    if ticket.subscription_id is not None:
        try:
            subscription = subscription_get(user, ticket.subscription_id)
        except NotFound:
            subscription = None
    subscriptions = organisation_subscriptions(user, ticket.organisation_id)
    others, others_total = other_open_tickets(user, ticket, limit=OTHER_TICKETS_SHOWN)
    return TicketContext(
        organisation=ticket.organisation,
        contacts=people,
        contacts_total=contacts_total,
        plan=ticket.plan,
        hours=_hours(ticket, now),
        subscription=subscription,
        subscription_status=SUBSCRIPTION_STATUSES.get(subscription.status, subscription.status)
        if subscription
        else "",
        services_total=live_count(subscriptions),
        month=organisation_month(subscriptions, now),
        services_shown=SERVICES_SHOWN,
        other_tickets=others,
        other_total=others_total,
        quota=quota_usage(ticket.organisation, now),
    )
