"""Who may reach a page: the extranet is for customer contacts, the console for the provider's staff.
Anonymous visitors are sent to the sign-in page; the wrong kind of user gets 403."""

from __future__ import annotations

from collections.abc import Mapping
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from .selectors import acting_contact


def customer_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_provider_staff or acting_contact(request.user) is None:
            raise PermissionDenied("The extranet is for the contacts of client organisations.")
        return view(request, *args, **kwargs)

    return wrapped


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_provider_staff:
            raise PermissionDenied("The console is for the provider's staff.")
        return view(request, *args, **kwargs)

    return wrapped


def error_lines(exc, labels: Mapping[str, Any] | None = None) -> list[str]:
    """A service's refusal as the lines a page shows. For each field of a ValidationError: with ``labels``
    (the extranet's pages: a field's label by its name), "Label: message", or the message alone for a field
    the page does not label (a customer never reads a field's code); without, "field: message" (the
    console's pages still name fields so). Its messages otherwise, else the exception's text (a Conflict, a
    PermissionDenied)."""
    if hasattr(exc, "error_dict"):
        if labels is None:
            return [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
        return [
            gettext("%(label)s: %(message)s") % {"label": labels[field], "message": " ".join(msgs)}
            if field in labels
            else " ".join(msgs)
            for field, msgs in exc.message_dict.items()
        ]
    if hasattr(exc, "error_list"):
        return list(exc.messages)
    return [str(exc)]


def field_errors(exc) -> dict[str, list[str]]:
    """A ValidationError's messages by field, for a form that shows each beside its field (none for another
    error)."""
    return dict(exc.message_dict) if hasattr(exc, "error_dict") else {}


def form_id(value) -> int | None:
    """An id read from a form or a query string, or None: ASCII digits only (str.isdigit() also accepts "²",
    which int() refuses) and no larger than the 64-bit id columns (SQLite cannot bind a bigger number)."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and int(value) < 2**63:
        return int(value)
    return None


def chosen(rows, value, field: str, message: str):
    """The row of ``rows`` (a queryset the user may see) that a form names by id, else a ValidationError on
    ``field`` with ``message``: an odd, foreign or missing id is no choice."""
    pk = form_id(value)
    found = rows.filter(pk=pk).first() if pk else None
    if found is None:
        raise ValidationError({field: message})
    return found
