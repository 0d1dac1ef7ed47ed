"""Translation at render time: the reader's language, and the structured terms stored as JSON.

The pure core (``guichet.money``) returns terms — numbers, dates, durations, outcomes as codes — never
sentences. Each domain's ``explain`` module words them with gettext under the reader's language
(``reading(language)``, a ``translation.override`` restricted to the languages the site has), and what is
stored (a claim's computation, a credit's explanation, a termination's) is the terms as JSON (``to_json``,
``from_json``), worded when read. A third language is a catalogue (``guichet/locale/<code>``) and an entry
in ``settings.LANGUAGES``, not a migration.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

# Django's own parser of the header (it bounds its length and ignores malformed entries), as LocaleMiddleware
# uses it.
from django.utils.translation.trans_real import parse_accept_lang_header

T = TypeVar("T")


def site_language(code: str | None) -> str:
    """``code`` when the site has that language (exactly: "fr", not "FR" or "fr-be"), else the default. For a
    person, ``guichet.formats.reader_language(person)`` reads their profile's."""
    return spoken(code) or settings.LANGUAGE_CODE


def spoken(code: str | None) -> str | None:
    """``code`` when the site has that language (exactly), else None."""
    return code if code and code in dict(settings.LANGUAGES) else None


def browser_language(request: HttpRequest) -> str | None:
    """The language this browser asks for, when the site has it: the one chosen with the language switcher
    on a page (Django's language cookie, which ``set_language`` writes), else the first of its
    Accept-Language the site speaks ("fr-BE" is "fr"); None when it names none, so that the person's
    organisation decides. (Django's ``get_language_from_request`` falls back to the default language
    instead, which would hide the organisation's.)"""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie and (chosen := _supported(cookie)):
        return chosen
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        if chosen := _supported(code):
            return chosen
    return None


def _supported(code: str) -> str | None:
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


@contextmanager
def reading(language: str | None) -> Iterator[str]:
    """Word what follows in ``language`` (the reader's), falling back to the default language."""
    chosen = site_language(language)
    with translation.override(chosen):
        yield chosen


def to_json(value: Any) -> Any:
    """Terms as JSON: dataclasses as objects, decimals as strings (exact), dates and instants in ISO 8601
    (instants keep their offset, so a local wall time reads the same), enums as their value."""
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_json(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """The dataclass ``cls`` read back from ``to_json``'s answer."""
    hints = get_type_hints(cls)
    values = {field.name: _decoded(hints[field.name], data.get(field.name)) for field in fields(cls)}  # type: ignore[arg-type]
    return cls(**values)


def _decoded(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    if is_dataclass(hint):
        return from_json(hint, value)  # type: ignore[arg-type]
    if hint is Decimal:
        return Decimal(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value
