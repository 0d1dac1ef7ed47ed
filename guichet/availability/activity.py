"""The outages and measurements in the activity log, in the reader's language ("Nora declared an outage of
Mobile line +352 621 123 456, “Backbone cut”, since 27 November 2026 13:00"); ``audit.explain`` asks
``told`` for them. An outage can span several customers: each organisation's event names its own lines
only."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from guichet.audit.explain import actor, ids, instant, month, shown
from guichet.audit.models import AuditEvent
from guichet.contracts.activity import subscription_names
from guichet.formats import duration_text

from .models import Cause, Outage


@dataclass(frozen=True)
class Names:
    """What the batch's events name: the outages (their period now) and the subscriptions, each with its
    organisation."""

    outages: dict[int, Outage]
    subscriptions: dict[int, tuple[int, str]]

    def lines(self, event: AuditEvent, key: str = "subscriptions") -> str:
        """The lines ``changes[key]`` names that are the event's organisation's, or a dash."""
        named = [self.subscriptions.get(pk) for pk in event.changes.get(key) or []]
        return ", ".join(n[1] for n in named if n and n[0] == event.organisation_id) or "—"


def _title(event: AuditEvent, names: Names) -> str:
    outage = names.outages.get(event.target_id)
    return shown(event.changes.get("title") or (outage.title if outage else None))


def _lasted(outage: Outage | None, ended: Any) -> str | None:
    """How long the outage lasted until ``ended`` (an instant in ISO 8601), when both ends are known."""
    if outage is None or not isinstance(ended, str):
        return None
    try:
        end = datetime.fromisoformat(ended)
    except ValueError:
        return None
    if end.tzinfo is None or end <= outage.started_at:
        return None
    return duration_text(int((end - outage.started_at).total_seconds()))


def _declared(event: AuditEvent, names: Names) -> list[str]:
    c = event.changes
    values = {
        "actor": actor(event),
        "lines": names.lines(event),
        "title": _title(event, names),
        "start": instant(c.get("started_at")),
        "end": instant(c.get("ended_at")),
    }
    if c.get("source") == "monitoring":
        lines = [
            gettext("Our monitoring detected an outage of %(lines)s, “%(title)s”, since %(start)s") % values
        ]
    elif c.get("cause") == Cause.MAINTENANCE:
        lines = [
            gettext("%(actor)s planned a maintenance of %(lines)s, “%(title)s”, from %(start)s to %(end)s")
            % values
        ]
    elif c.get("ended_at"):
        values["duration"] = _lasted(names.outages.get(event.target_id), c["ended_at"]) or "—"
        lines = [
            gettext(
                "%(actor)s declared an outage of %(lines)s, “%(title)s”, from %(start)s to %(end)s "
                "(%(duration)s)"
            )
            % values
        ]
    else:
        lines = [gettext("%(actor)s declared an outage of %(lines)s, “%(title)s”, since %(start)s") % values]
    if c.get("cause") == Cause.FORCE_MAJEURE:
        lines.append(gettext("It is force majeure: it does not count against the availability guarantee."))
    return lines


def _ended(event: AuditEvent, names: Names) -> list[str]:
    values = {
        "actor": actor(event),
        "title": _title(event, names),
        "end": instant(event.changes.get("ended_at")),
    }
    lasted = _lasted(names.outages.get(event.target_id), event.changes.get("ended_at"))
    if lasted is None:
        return [gettext("%(actor)s ended the outage “%(title)s” at %(end)s") % values]
    return [
        gettext("%(actor)s ended the outage “%(title)s” at %(end)s, after %(duration)s")
        % {**values, "duration": lasted}
    ]


def _updated(event: AuditEvent, names: Names) -> list[str]:
    c, values = event.changes, {"actor": actor(event), "title": _title(event, names)}
    lines = []
    if c.get("title_before"):
        lines.append(
            gettext("%(actor)s renamed the outage “%(before)s” to “%(title)s”")
            % {**values, "before": shown(c["title_before"])}
        )
    if "description" in c:
        lines.append(gettext("%(actor)s updated the description of the outage “%(title)s”") % values)
    added, removed = names.lines(event, "added"), names.lines(event, "removed")
    if added != "—":
        lines.append(
            gettext("%(actor)s added %(lines)s to the outage “%(title)s”") % {**values, "lines": added}
        )
    if removed != "—":
        lines.append(
            gettext("%(actor)s removed %(lines)s from the outage “%(title)s”") % {**values, "lines": removed}
        )
    return lines or [gettext("%(actor)s updated the outage “%(title)s”") % values]


def _announced(event: AuditEvent, names: Names) -> list[str]:
    outage = names.outages.get(event.target_id)
    values = {
        "actor": actor(event),
        "title": _title(event, names),
        "lines": names.lines(event),
        "start": instant(outage.started_at if outage else None),
        "end": instant(outage.ended_at if outage else None),
    }
    return [
        gettext(
            "%(actor)s announced the planned maintenance “%(title)s” of %(lines)s, from %(start)s to %(end)s"
        )
        % values
    ]


def _measured(event: AuditEvent, names: Names) -> list[str]:
    return [
        gettext("%(actor)s recorded the %(metric)s of %(service)s for %(month)s: %(value)s")
        % {
            "actor": actor(event),
            "metric": shown(event.changes.get("metric")),
            "service": names.subscriptions.get(event.target_id, (0, "—"))[1],
            "month": month(event.changes.get("month")),
            "value": shown(event.changes.get("value")),
        }
    ]


SENTENCES: dict[str, Callable[[AuditEvent, Names], list[str]]] = {
    "outage.declared": _declared,
    "outage.ended": _ended,
    "outage.updated": _updated,
    "outage.maintenance_announced": _announced,
    "quality.measured": _measured,
}


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    outages = [e for e in events if e.target_type == "availability.outage"]
    lines = ids(outages, "subscriptions") | ids(outages, "added") | ids(outages, "removed")
    measured = ids(e for e in events if e.target_type == "contracts.subscription")
    names = Names(
        outages=Outage.objects.in_bulk(ids(outages)),
        subscriptions=subscription_names(lines | measured),
    )
    return {e.pk: SENTENCES[e.action](e, names) for e in events}
