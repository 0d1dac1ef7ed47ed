"""The customers' acts in the activity log, in the reader's language (``audit.explain`` calls ``told``):
"Carla added Nina Muller as a contact: Technical contact", "Our back office took the request “Contact change”
into account"."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language_info, gettext

from guichet.audit.explain import actor, ids, instant, shown
from guichet.audit.models import AuditEvent

from .models import BackOfficeRequest, Contact, ContactRole, Organisation, User


@dataclass(frozen=True)
class Names:
    """What the batch's events name, looked up once: organisations, contacts, people, back-office requests."""

    organisations: dict[int, str]
    contacts: dict[int, str]
    users: dict[int, str]
    requests: dict[int, str]


def _names(events: Sequence[AuditEvent]) -> Names:
    def of(kind: str) -> set[int]:
        return ids(e for e in events if e.target_type == kind)

    contacts = Contact.objects.filter(pk__in=of("customers.contact")).select_related("user")
    requests = BackOfficeRequest.objects.filter(pk__in=of("customers.backofficerequest"))
    return Names(
        organisations=dict(
            Organisation.objects.filter(pk__in=of("customers.organisation")).values_list("pk", "name")
        ),
        contacts={c.pk: c.user.display_name for c in contacts},
        users={u.pk: u.display_name for u in User.objects.filter(pk__in=of("customers.user"))},
        requests={r.pk: r.get_kind_display() for r in requests},
    )


def roles(value: Any) -> str:
    """Contact roles by their labels ("Administrative contact, Technical contact")."""
    labels = dict(ContactRole.choices)
    codes = value if isinstance(value, list) else []
    return ", ".join(str(labels.get(code, code)) for code in codes) or "—"


def _organisation_created(event: AuditEvent, names: Names) -> list[str]:
    name = names.organisations.get(event.target_id) or event.changes.get("name")
    return [
        gettext("%(actor)s opened the account of %(organisation)s")
        % {
            "actor": actor(event),
            "organisation": shown(name),
        }
    ]


def _organisation_renamed(event: AuditEvent, names: Names) -> list[str]:
    return [
        gettext("%(actor)s renamed the organisation %(previous)s to %(name)s")
        % {
            "actor": actor(event),
            "previous": shown(event.changes.get("previous")),
            "name": shown(event.changes.get("name")),
        }
    ]


def _person(event: AuditEvent, names: Names) -> str:
    return shown(names.contacts.get(event.target_id) or event.changes.get("email"))


def _contact_created(event: AuditEvent, names: Names) -> list[str]:
    values = {"actor": actor(event), "person": _person(event, names)}
    if not event.changes.get("roles"):
        return [gettext("%(actor)s added %(person)s as a contact") % values]
    values["roles"] = roles(event.changes["roles"])
    return [gettext("%(actor)s added %(person)s as a contact: %(roles)s") % values]


def _contact_changed(event: AuditEvent, names: Names) -> list[str]:
    changes, values = event.changes, {"actor": actor(event), "person": _person(event, names)}
    lines = []
    if "roles" in changes:
        lines.append(
            gettext("%(actor)s changed the roles of %(person)s: %(roles)s")
            % {**values, "roles": roles(changes["roles"])}
        )
    if changes.get("phone"):
        lines.append(
            gettext("%(actor)s changed the phone number of %(person)s to %(phone)s")
            % {**values, "phone": shown(changes["phone"])}
        )
    elif "phone" in changes:
        lines.append(gettext("%(actor)s removed the phone number of %(person)s") % values)
    if changes.get("is_active") is False:
        lines.append(gettext("%(actor)s deactivated the contact %(person)s") % values)
    elif changes.get("is_active") is True:
        lines.append(gettext("%(actor)s reactivated the contact %(person)s") % values)
    return lines


def _user_renamed(event: AuditEvent, names: Names) -> list[str]:
    values = {"actor": actor(event), "person": shown(names.users.get(event.target_id))}
    if {"first_name", "last_name"} & event.changes.keys():
        return [gettext("%(actor)s changed the name of %(person)s") % values]
    return [gettext("%(actor)s changed the login of %(person)s") % values]


def _backoffice_requested(event: AuditEvent, names: Names) -> list[str]:
    kind = dict(BackOfficeRequest.Kind.choices).get(event.changes.get("kind", ""), "—")
    return [
        gettext("Our back office received the request “%(request)s”, to be taken into account by %(due)s")
        % {"request": kind, "due": instant(event.changes.get("due_at"))}
    ]


def _backoffice_done(event: AuditEvent, names: Names) -> list[str]:
    values = {"actor": actor(event), "request": names.requests.get(event.target_id, "—")}
    if event.changes.get("late"):
        return [
            gettext(
                "%(actor)s, of our back office, took the request “%(request)s” into account, later than "
                "promised"
            )
            % values
        ]
    return [gettext("%(actor)s, of our back office, took the request “%(request)s” into account") % values]


def _profile_changed(event: AuditEvent, names: Names) -> list[str]:
    """A person's own profile (``services.profile_update``, ``language_choose``): one sentence per thing."""
    changes, values = event.changes, {"actor": actor(event)}
    lines = []
    if {"first_name", "last_name"} & changes.keys():
        lines.append(gettext("%(actor)s changed their name") % values)
    if changes.get("language"):
        language = get_language_info(changes["language"])["name_translated"]
        lines.append(
            gettext("%(actor)s changed their language to %(language)s") % {**values, "language": language}
        )
    elif "language" in changes:
        lines.append(gettext("%(actor)s left their language to their browser or organisation") % values)
    if "time_zone" in changes:
        lines.append(
            gettext("%(actor)s changed their time zone to %(zone)s")
            % {**values, "zone": shown(changes["time_zone"])}
        )
    if changes.get("phone"):
        lines.append(
            gettext("%(actor)s changed their phone number to %(phone)s")
            % {**values, "phone": shown(changes["phone"])}
        )
    elif "phone" in changes:
        lines.append(gettext("%(actor)s removed their phone number") % values)
    return lines


def _password_changed(event: AuditEvent, names: Names) -> list[str]:
    return [gettext("%(actor)s changed their password") % {"actor": actor(event)}]


SENTENCES: dict[str, Callable[[AuditEvent, Names], list[str]]] = {
    "organisation.created": _organisation_created,
    "organisation.renamed": _organisation_renamed,
    "contact.created": _contact_created,
    "contact.changed": _contact_changed,
    "user.renamed": _user_renamed,
    "backoffice.requested": _backoffice_requested,
    "backoffice.done": _backoffice_done,
    "profile.changed": _profile_changed,
    "password.changed": _password_changed,
}


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    names = _names(events)
    return {e.pk: SENTENCES[e.action](e, names) for e in events}
