"""The subscriptions' acts in the activity log, in the reader's language ("Carla suspended Mobile line +352
621 123 456: the device was lost"); ``audit.explain`` asks ``told`` for them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from guichet.audit.explain import actor, amount, day, ids, shown
from guichet.audit.models import AuditEvent

from .models import Milestone, Subscription, Suspension


def subscription_names(pks: Collection[int]) -> dict[int, tuple[int, str]]:
    """Subscriptions by id: their organisation's id (an event of one customer names no other customer's
    line) and their name as the extranet says it ("Mobile line +352 621 123 456")."""
    rows = Subscription.objects.filter(pk__in=pks).values_list(
        "pk", "organisation_id", "service__name", "identifier"
    )
    return {
        pk: (organisation, shown(f"{service} {identifier}")) for pk, organisation, service, identifier in rows
    }


SUSPENDED: dict[str, Promise] = {
    Suspension.Reason.LOSS: gettext_lazy("%(actor)s suspended %(service)s: the device was lost"),
    Suspension.Reason.THEFT: gettext_lazy("%(actor)s suspended %(service)s: the device was stolen"),
}


def _created(event: AuditEvent, service: str) -> list[str]:
    return [
        gettext("%(actor)s recorded the order of %(service)s: %(fee)s a month from %(day)s")
        % {
            "actor": actor(event),
            "service": service,
            "fee": amount(event.changes.get("monthly_fee")),
            "day": day(event.changes.get("start_date")),
        }
    ]


def _milestone(event: AuditEvent, service: str) -> list[str]:
    kind, values = event.changes.get("kind"), {"actor": actor(event), "service": service}
    if kind == Milestone.Kind.ACTIVE:
        return [gettext("%(actor)s put %(service)s into service") % values]
    if kind == Milestone.Kind.VERIFIED and event.changes.get("check_passed") is True:
        return [gettext("%(actor)s recorded that %(service)s passed its commissioning check") % values]
    if kind == Milestone.Kind.VERIFIED:
        return [gettext("%(actor)s recorded that %(service)s failed its commissioning check") % values]
    step = dict(Milestone.Kind.choices).get(kind or "", "—")
    return [
        gettext("%(actor)s recorded a deployment step of %(service)s: %(step)s") % {**values, "step": step}
    ]


def _suspended(event: AuditEvent, service: str) -> list[str]:
    values = {"actor": actor(event), "service": service}
    sentence = SUSPENDED.get(event.changes.get("reason") or "")
    said = str(sentence) % values if sentence else gettext("%(actor)s suspended %(service)s") % values
    note = event.changes.get("note")
    return [gettext("%(sentence)s (%(note)s)") % {"sentence": said, "note": shown(note)} if note else said]


def _resumed(event: AuditEvent, service: str) -> list[str]:
    return [
        gettext("%(actor)s put %(service)s back in service") % {"actor": actor(event), "service": service}
    ]


def _fee_changed(event: AuditEvent, service: str) -> list[str]:
    return [
        gettext("%(actor)s changed the monthly fee of %(service)s to %(fee)s from %(day)s")
        % {
            "actor": actor(event),
            "service": service,
            "fee": amount(event.changes.get("monthly_fee")),
            "day": day(event.changes.get("effective_on")),
        }
    ]


def _termination_requested(event: AuditEvent, service: str) -> list[str]:
    return [
        gettext("%(actor)s asked to end %(service)s: its last day is %(day)s")
        % {"actor": actor(event), "service": service, "day": day(event.changes.get("last_day"))}
    ]


def _terminated(event: AuditEvent, service: str) -> list[str]:
    return [
        gettext("%(service)s ended after its last day, %(day)s")
        % {"service": service, "day": day(event.changes.get("last_day"))}
    ]


SENTENCES: dict[str, Callable[[AuditEvent, str], list[str]]] = {
    "subscription.created": _created,
    "subscription.milestone": _milestone,
    "subscription.suspended": _suspended,
    "subscription.resumed": _resumed,
    "subscription.fee_changed": _fee_changed,
    "subscription.termination_requested": _termination_requested,
    "subscription.terminated": _terminated,
}


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    names = subscription_names(ids(events))
    return {e.pk: SENTENCES[e.action](e, names.get(e.target_id, (0, "—"))[1]) for e in events}
