"""The audit trail in sentences a customer understands: "Carla suspended Mobile line +352 621 123 456: the
device was lost", "Guichet issued invoice F-2026-00012 for November 2026: 1,234.50 EUR".

The trail stores codes (``AuditEvent.action``) and the values of the change (``changes``); they are worded at
render time, in the reader's language. The audit app sits below every domain app, so it cannot know what a
suspension reason or a claim status reads as: each domain words its own actions (its ``activity`` module)
and registers them here when its app is ready (``register``). ``TELLERS`` is the registry: one teller per
action code, and a test fails when a service records a code nobody words. An action nobody registered (an
event written by an older or newer version) reads as a generic sentence, never as its code.

A teller takes a batch of events (an activity log's page) and answers their sentences by event id: it looks
up the names its sentences need (a line's service and identifier, a ticket's reference) once for the batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from guichet.formats import day_text, instant_text, money_text, month_text
from guichet.text.safe import neutralised

from .models import AuditEvent

# A teller: the sentences of each event of the batch (one or a few: a change of several things), by event id.
Teller = Callable[[Sequence[AuditEvent]], Mapping[int, list[str]]]

TELLERS: dict[str, Teller] = {}

# The name an event carries when no person acted: a job, a sweep, the billing run.
SYSTEM = "Guichet"


def register(teller: Teller, actions: Iterable[str]) -> None:
    """``teller`` words ``actions`` (called by each app's ``ready``). One teller per action: a second one for
    the same code is a mistake of configuration, not a silent override."""
    for action in actions:
        if TELLERS.get(action, teller) is not teller:
            raise ImproperlyConfigured(f"two tellers word the audit action {action!r}")
        TELLERS[action] = teller


@dataclass(frozen=True)
class Told:
    event: AuditEvent
    sentences: list[str]


def told(events: Sequence[AuditEvent]) -> list[Told]:
    """The events (in their order) with their sentences in the active language; each teller is called once
    with the events it words. The actors are read from ``event.actor`` (select them with the events)."""
    batches: dict[Teller, list[AuditEvent]] = defaultdict(list)
    for event in events:
        teller = TELLERS.get(event.action)
        if teller is not None:
            batches[teller].append(event)
    said: dict[int, list[str]] = {}
    for teller, batch in batches.items():
        said.update(teller(batch))
    return [Told(event, said.get(event.pk) or generic(event)) for event in events]


def generic(event: AuditEvent) -> list[str]:
    """An action nobody words (or one whose values could not be read): who made a change, not which."""
    if event.actor is None:
        return [gettext("Guichet made a change")]
    return [gettext("%(actor)s made a change") % {"actor": actor(event)}]


# ------------------------------------------------------------------------------- helpers for the tellers


def actor(event: AuditEvent) -> str:
    """Who acted, as pages name people; ``SYSTEM`` when nobody did."""
    return getattr(event.actor, "display_name", "") or SYSTEM


def shown(value: Any) -> str:
    """A value typed by someone (a title, a name, a note) safe inside a sentence: one line, no bidi
    controls; a missing one reads as a dash."""
    return neutralised(str(value)) if value not in (None, "") else "—"


def instant(value: Any) -> str:
    """An instant (or one stored in ISO 8601) as people read it, in the active time zone; a dash when
    unreadable."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else value
        return instant_text(at) if isinstance(at, datetime) and at.tzinfo is not None else "—"
    except (ValueError, OverflowError):  # not an instant, or one the active zone cannot hold
        return "—"


def day(value: Any) -> str:
    """A day stored in ISO 8601 ("2026-11-03", or an instant) as people read it; a dash when unreadable."""
    if not isinstance(value, str):
        return "—"
    try:
        return day_text(date.fromisoformat(value[:10]))
    except ValueError:
        return "—"


def month(value: Any) -> str:
    """A month stored as "2026-11" by its name ("November 2026"); said as stored when it is not one."""
    year, _, number = str(value).partition("-")
    if year.isdigit() and number.isdigit() and 1 <= int(number) <= 12 and 1 <= int(year) <= 9999:
        return month_text(int(year), int(number))
    return shown(value)


def amount(value: Any, currency: str | None = None) -> str:
    """An amount stored as "25.00 EUR" (or as a number, with ``currency``) as the language writes it
    ("25,00 EUR" in French); what cannot be read as money is said as it was stored."""
    figure, _, code = str(value).partition(" ") if currency is None else (str(value), "", currency)
    try:
        return money_text(Decimal(figure), code)
    except (InvalidOperation, ValueError):  # UnknownCurrency is a ValueError
        return shown(value)


def ids(events: Iterable[AuditEvent], key: str | None = None) -> set[int]:
    """The ids the events name: their targets', or (``key``) those stored in ``changes[key]`` (an id or a
    list of ids)."""
    found: set[int] = set()
    for event in events:
        value = event.target_id if key is None else event.changes.get(key)
        values = value if isinstance(value, list) else [value]
        found.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    return found
