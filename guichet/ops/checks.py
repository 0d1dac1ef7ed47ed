"""System checks of the configuration: what must be set before Guichet serves anyone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.apps import AppConfig

UNSET_MESSAGE = (
    "environment variable SECRET_KEY must be set with DEBUG off (50+ random characters); "
    "for development, set DEBUG=1"
)


def secret_key_missing() -> bool:
    if settings.DEBUG:
        return False
    try:
        return not settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's own refusal of an empty key, on reading it
        return True


@register()
def secret_key_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    """Every command that runs the system checks (check, migrate, runserver, serve, worker, mailserver, ...)
    refuses to start in production without a signing key; createtoken and revoketoken skip the checks."""
    return [Error(UNSET_MESSAGE, id="guichet.E001")] if secret_key_missing() else []


def require_secret_key() -> None:
    """For the WSGI application, which runs no system check: refuse to start, naming the variable."""
    if secret_key_missing():
        raise ImproperlyConfigured(UNSET_MESSAGE)
