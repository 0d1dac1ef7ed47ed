"""What the console's forms share: a service's refusal said with the fields' labels (never their code
names), and the instants people type, read in the reader's own time zone (the one the pages show times in,
set from their profile by ``UserPreferencesMiddleware``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.contrib import messages
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from guichet.errors import ValidationError


def labelled(exc: ValidationError, labels: Mapping[str, str | Promise]) -> list[str]:
    """One line per refused field, named by its label on the page ("Title: Give the outage a title.");
    a field the page does not show is named by the general label "Form"."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [f"{labels.get(field, _('Form'))}: {' '.join(found)}" for field, found in exc.message_dict.items()]


def say_errors(request, exc: ValidationError, labels: Mapping[str, str | Promise]) -> None:
    for line in labelled(exc, labels):
        messages.error(request, line)


def local_instant(value: str, field: str) -> datetime:
    """An instant typed in a ``datetime-local`` field ("2026-12-07T10:30"), read in the reader's time zone;
    a ValidationError on ``field`` when it is missing or not one."""
    found = optional_instant(value, field)
    if found is None:
        raise ValidationError({field: _("Give a date and a time.")})
    return found


def optional_instant(value: str, field: str) -> datetime | None:
    """As ``local_instant``, None when the field is left empty."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: _("Give a date and a time, e.g. 2026-12-07 10:30.")}) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.get_current_timezone())
    return parsed


def local_input(at: datetime | None) -> str:
    """An instant as a ``datetime-local`` field's value, in the reader's time zone."""
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M") if at else ""
