"""A ticket's audit trail told in sentences: "Nora raised the priority to Urgent", "Alice assigned the ticket
to the NOC team", "Carla replied by email", "The resolution clock was breached".

The trail stores codes (``audit.selectors.history_of``); this turns them into the reader's language at
render time, with labels for values (priorities, statuses, categories, teams, people), never a code. An
action it does not know reads as a generic sentence. Internal events (notes, breaches, pages) only for staff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from guichet.audit.models import AuditEvent, Door
from guichet.audit.selectors import history_of
from guichet.customers.models import Team, User
from guichet.customers.permissions import is_customer, is_provider_staff
from guichet.formats import money_text
from guichet.plans.models import Channel, clock_in_sentence

from .models import OPEN_STATUSES, PRIORITY_ORDER, Category, Priority, Status, Ticket

LIMIT = 100

PRIORITY_LABEL: dict[str, Promise] = {
    Priority.LOW: gettext_lazy("Low"),
    Priority.MEDIUM: gettext_lazy("Medium"),
    Priority.HIGH: gettext_lazy("High"),
    Priority.URGENT: gettext_lazy("Urgent"),
}
STATUS_LABEL: dict[str, Promise] = {
    Status.NEW: gettext_lazy("New"),
    Status.OPEN: gettext_lazy("Open"),
    Status.PENDING_CUSTOMER: gettext_lazy("Waiting for the customer"),
    Status.ON_HOLD: gettext_lazy("On hold"),
    Status.RESOLVED: gettext_lazy("Resolved"),
    Status.CLOSED: gettext_lazy("Closed"),
}
CATEGORY_LABEL: dict[str, Promise] = {
    Category.INCIDENT: gettext_lazy("Incident"),
    Category.REQUEST: gettext_lazy("Request"),
    Category.BILLING: gettext_lazy("Billing"),
    Category.SALES: gettext_lazy("Sales"),
    Category.TECHNICAL_SERVICE: gettext_lazy("Technical service request"),
    Category.COMPLAINT: gettext_lazy("Complaint"),
}
# How a ticket came in, or a reply reached us, inside a sentence ("Carla replied by email").
CHANNEL_PHRASE: dict[str, Promise] = {
    Channel.PORTAL: gettext_lazy("on the extranet"),
    Channel.EMAIL: gettext_lazy("by email"),
    Channel.API: gettext_lazy("through the API"),
    Channel.WHATSAPP: gettext_lazy("on WhatsApp"),
    Channel.CHAT: gettext_lazy("in the web chat"),
    Channel.PHONE: gettext_lazy("by phone"),
    Channel.MATRIX: gettext_lazy("on Matrix"),
    Channel.SKYPE: gettext_lazy("on Skype"),
}
# The doors whose replies are worth saying (a reply on the extranet or in the console is just "replied").
DOOR_CHANNEL: dict[str, str] = {
    Door.EMAIL: Channel.EMAIL,
    Door.WHATSAPP: Channel.WHATSAPP,
    Door.CHAT: Channel.CHAT,
    Door.PHONE: Channel.PHONE,
}


def label(labels: dict[str, Promise], code: Any) -> str:
    """A value's label in the reader's language; a value the lists do not know reads as a dash."""
    found = labels.get(code) if isinstance(code, str) else None
    return str(found) if found is not None else "—"


@dataclass(frozen=True)
class Line:
    at: datetime
    text: str
    internal: bool


@dataclass(frozen=True)
class Names:
    """The people and teams an event names by id or username, looked up once for the whole history."""

    users: dict[int, str]
    usernames: dict[str, str]
    teams: dict[int, str]

    def user(self, pk: Any) -> str:
        return self.users.get(pk, "—") if isinstance(pk, int) else "—"


def names_of(events: Sequence[AuditEvent]) -> Names:
    """The people and teams the events name (a ticket's history, or an activity log's tickets' events)."""
    user_ids: set[int] = set()
    team_ids: set[int] = set()
    usernames: set[str] = set()
    for e in events:
        for key, ids in (("assignee", user_ids), ("team", team_ids)):
            value = e.changes.get(key)
            if e.action == "ticket.changed" and isinstance(value, list):
                ids.update(v for v in value if isinstance(v, int))
        if e.action.startswith("ticket.watcher_") and isinstance(e.changes.get("user"), str):
            usernames.add(e.changes["user"])
    users = User.objects.filter(pk__in=user_ids) if user_ids else []
    by_name = User.objects.filter(username__in=usernames) if usernames else []
    teams = Team.objects.filter(pk__in=team_ids).values_list("pk", "name") if team_ids else []
    return Names(
        users={u.pk: u.display_name for u in users},
        usernames={u.username: u.display_name for u in by_name},
        teams=dict(teams),
    )


def _actor(event: AuditEvent) -> str:
    return event.actor.display_name if event.actor is not None else "Guichet"


def _files(event: AuditEvent, who: str) -> list[str]:
    files = event.changes.get("attachments") or []
    names = ", ".join(str(f.get("filename", "")) for f in files if isinstance(f, dict))
    return [gettext("%(actor)s attached %(files)s") % {"actor": who, "files": names}] if names else []


def _created(event: AuditEvent, who: str, names: Names) -> list[str]:
    c = event.changes
    values = {"actor": who, "priority": label(PRIORITY_LABEL, c.get("priority"))}
    channel = CHANNEL_PHRASE.get(c.get("channel", ""))
    if channel is None:
        return [gettext("%(actor)s opened the ticket, priority %(priority)s") % values, *_files(event, who)]
    values["channel"] = str(channel)
    return [
        gettext("%(actor)s opened the ticket %(channel)s, priority %(priority)s") % values,
        *_files(event, who),
    ]


def _replied(event: AuditEvent, who: str, names: Names) -> list[str]:
    channel = DOOR_CHANNEL.get(event.door)
    if channel is None:
        lines = [gettext("%(actor)s replied") % {"actor": who}]
    else:
        phrase = str(CHANNEL_PHRASE[channel])
        lines = [gettext("%(actor)s replied %(channel)s") % {"actor": who, "channel": phrase}]
    lines += _files(event, who)
    if isinstance(event.changes.get("status"), str):
        status = label(STATUS_LABEL, event.changes["status"])
        lines.append(gettext("The status became %(status)s") % {"status": status})
    return lines


def _noted(event: AuditEvent, who: str, names: Names) -> list[str]:
    return [gettext("%(actor)s added an internal note") % {"actor": who}, *_files(event, who)]


def _priority(event: AuditEvent, who: str, old: Any, new: Any) -> str:
    values = {"actor": who, "priority": label(PRIORITY_LABEL, new)}
    if new == Priority.URGENT and event.actor is not None and is_customer(event.actor):
        return gettext("%(actor)s flagged the ticket urgent") % values
    rank = {p.value: i for i, p in enumerate(PRIORITY_ORDER)}
    if rank.get(new, 0) < rank.get(old, 0):
        return gettext("%(actor)s lowered the priority to %(priority)s") % values
    return gettext("%(actor)s raised the priority to %(priority)s") % values


def _status(who: str, old: Any, new: Any) -> str:
    if new == Status.RESOLVED:
        return gettext("%(actor)s resolved the ticket") % {"actor": who}
    if new == Status.CLOSED:
        return gettext("%(actor)s closed the ticket") % {"actor": who}
    if new in OPEN_STATUSES and old in (Status.RESOLVED, Status.CLOSED):
        return gettext("%(actor)s reopened the ticket") % {"actor": who}
    return gettext("%(actor)s set the status to %(status)s") % {
        "actor": who,
        "status": label(STATUS_LABEL, new),
    }


def _assignee(event: AuditEvent, who: str, new: Any, names: Names) -> str:
    if new is None:
        return gettext("%(actor)s unassigned the ticket") % {"actor": who}
    if event.actor is not None and new == event.actor.pk:
        return gettext("%(actor)s took the ticket") % {"actor": who}
    return gettext("%(actor)s assigned the ticket to %(person)s") % {"actor": who, "person": names.user(new)}


def _team(who: str, new: Any, names: Names) -> str:
    if new is None:
        return gettext("%(actor)s took the ticket away from its team") % {"actor": who}
    team = names.teams.get(new, "—")
    return gettext("%(actor)s assigned the ticket to the %(team)s team") % {"actor": who, "team": team}


# The order a change's sentences are said in (the order ticket_change records them). Not the stored dict's
# order: PostgreSQL's jsonb keeps keys sorted by length, SQLite's JSON as written.
CHANGE_ORDER = ("category", "priority", "assignee", "team", "status")


def _changed(event: AuditEvent, who: str, names: Names) -> list[str]:
    lines = []
    for key in CHANGE_ORDER:
        value = event.changes.get(key)
        if not (isinstance(value, list) and len(value) == 2):
            continue
        old, new = value
        if key == "priority":
            lines.append(_priority(event, who, old, new))
        elif key == "status":
            lines.append(_status(who, old, new))
        elif key == "category":
            category = label(CATEGORY_LABEL, new)
            lines.append(
                gettext("%(actor)s changed the category to %(category)s")
                % {"actor": who, "category": category}
            )
        elif key == "assignee":
            lines.append(_assignee(event, who, new, names))
        elif key == "team":
            lines.append(_team(who, new, names))
    return lines or _generic(event, who, names)


def _watchers(event: AuditEvent, who: str, names: Names) -> list[str]:
    username = event.changes.get("user")
    added = event.action == "ticket.watcher_added"
    if event.actor is not None and username == event.actor.username:
        if added:
            return [gettext("%(actor)s started following the ticket") % {"actor": who}]
        return [gettext("%(actor)s stopped following the ticket") % {"actor": who}]
    values = {"actor": who, "person": names.usernames.get(username or "", "—")}
    if added:
        return [gettext("%(actor)s added %(person)s to the people following the ticket") % values]
    return [gettext("%(actor)s removed %(person)s from the people following the ticket") % values]


def _quote_sent(event: AuditEvent, who: str, names: Names) -> list[str]:
    c = event.changes
    amount = money_text(c.get("amount"), str(c.get("currency", "")))
    return [gettext("%(actor)s sent a quote of %(amount)s") % {"actor": who, "amount": amount}]


def _merged(event: AuditEvent, who: str, names: Names) -> list[str]:
    values = {"actor": who, "reference": event.changes.get("into", "—")}
    return [gettext("%(actor)s merged this ticket into %(reference)s") % values]


def _merge_received(event: AuditEvent, who: str, names: Names) -> list[str]:
    values = {"actor": who, "reference": event.changes.get("from", "—")}
    return [gettext("%(actor)s merged %(reference)s into this ticket") % values]


def _attached(event: AuditEvent, who: str, names: Names) -> list[str]:
    return [
        gettext("%(actor)s attached %(files)s") % {"actor": who, "files": event.changes.get("filename", "—")}
    ]


def _breached(event: AuditEvent, who: str, names: Names) -> list[str]:
    clock = clock_in_sentence(str(event.changes.get("clock", "")))
    return [gettext("The %(clock)s clock was breached") % {"clock": clock}]


def _raised(event: AuditEvent, who: str, names: Names) -> list[str]:
    value = event.changes.get("priority")
    new = value[1] if isinstance(value, list) and len(value) == 2 else None
    priority = label(PRIORITY_LABEL, new)
    return [
        gettext("No first response came in time: the priority went up to %(priority)s")
        % {"priority": priority}
    ]


def _said(text: Promise) -> Callable[[AuditEvent, str, Names], list[str]]:
    """An event told by one sentence naming its actor."""

    def tell(event: AuditEvent, who: str, names: Names) -> list[str]:
        return [str(text) % {"actor": who}]

    return tell


def _generic(event: AuditEvent, who: str, names: Names) -> list[str]:
    if event.actor is None:
        return [gettext("The ticket changed")]
    return [gettext("%(actor)s changed the ticket") % {"actor": who}]


SENTENCES: dict[str, Callable[[AuditEvent, str, Names], list[str]]] = {
    "ticket.created": _created,
    "ticket.replied": _replied,
    "ticket.note_added": _noted,
    "ticket.changed": _changed,
    "ticket.intervention_started": _said(gettext_lazy("%(actor)s started the intervention")),
    "ticket.merged": _merged,
    "ticket.merge_received": _merge_received,
    "ticket.attachment_added": _attached,
    "ticket.watcher_added": _watchers,
    "ticket.watcher_removed": _watchers,
    "ticket.priority_raised": _raised,
    "ticket.emergency_paged": lambda event, who, names: [gettext("The engineer on call was paged")],
    "ticket.emergency_acknowledged": _said(gettext_lazy("%(actor)s acknowledged the page")),
    "ticket.emergency_false_alarm": _said(gettext_lazy("%(actor)s called the page a false alarm")),
    "quote.sent": _quote_sent,
    "quote.accepted": _said(gettext_lazy("%(actor)s accepted the quote")),
    "quote.refused": _said(gettext_lazy("%(actor)s refused the quote")),
    "sla.breached": _breached,
}


def sentences(event: AuditEvent, names: Names) -> list[str]:
    """What the event says, in the active language: one sentence or a few (a change of several fields)."""
    tell = SENTENCES.get(event.action, _generic)
    return tell(event, _actor(event), names)


def ticket_history(
    ticket: Ticket, reader: User, *, limit: int = LIMIT, newest_first: bool = True
) -> list[Line]:
    """The ticket's last ``limit`` events as sentences for ``reader`` (the sentences of one event in their
    order either way): staff see the internal ones too. Four queries at most, whatever the number of events.
    The caller has checked the reader may see the ticket (``selectors.ticket_get``)."""
    staff = is_provider_staff(reader)
    events = list(history_of(ticket, include_internal=staff).order_by("-at", "-pk")[:limit])
    if not newest_first:
        events.reverse()
    names = names_of(events)
    return [Line(e.at, text, e.internal) for e in events for text in sentences(e, names)]
