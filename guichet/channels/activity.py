"""The mail desk's acts in the audit trail, in the reader's language ("Alice opened ticket GT-2026-000123
from the mail of dan@acme.example"); ``audit.explain`` asks ``told`` for them. They are internal (staff
only): a customer's activity log never shows them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.utils.translation import gettext

from guichet.audit.explain import actor, shown
from guichet.audit.models import AuditEvent


def _values(event: AuditEvent) -> dict[str, str]:
    c = event.changes
    return {
        "actor": actor(event),
        "sender": shown(c.get("sender")),
        "ticket": shown(c.get("ticket")),
        "reason": shown(c.get("reason")),
        "result": shown(c.get("result")),
    }


def _opened(event: AuditEvent) -> list[str]:
    return [gettext("%(actor)s opened ticket %(ticket)s from the mail of %(sender)s") % _values(event)]


def _appended(event: AuditEvent) -> list[str]:
    if event.changes.get("internal"):
        return [
            gettext("%(actor)s added the mail of %(sender)s to ticket %(ticket)s as an internal note")
            % _values(event)
        ]
    return [gettext("%(actor)s added the mail of %(sender)s to ticket %(ticket)s") % _values(event)]


def _dropped(event: AuditEvent) -> list[str]:
    return [gettext("%(actor)s dropped the mail of %(sender)s: %(reason)s") % _values(event)]


def _replayed(event: AuditEvent) -> list[str]:
    return [gettext("%(actor)s replayed a mail that could not be read: %(result)s") % _values(event)]


SENTENCES: dict[str, Callable[[AuditEvent], list[str]]] = {
    "mail.ticket_opened": _opened,
    "mail.appended": _appended,
    "mail.dropped": _dropped,
    "mail.dead_letter_replayed": _replayed,
}


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    return {e.pk: SENTENCES[e.action](e) for e in events}
