"""Who is calling: a bearer token (``Authorization: Bearer gt_…``) or a logged-in web session."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from guichet.customers.permissions import is_customer
from guichet.customers.tokens import token_authenticate
from guichet.errors import PermissionDenied


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        row = token_authenticate(token)
        if row is None:
            return None
        request.user = row.user
        request.api_token = row
        return row.user


class WebSession(SessionAuth):
    """The extranet and console call the API with their session (CSRF-checked by ninja)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.api_token = None
        return user


def can_import(request) -> bool:
    token = getattr(request, "api_token", None)
    return bool(token and token.can_import)


def can_post_alerts(request) -> bool:
    """Whether the caller is the monitoring system: a token with the monitoring permission (never a session,
    nor any other staff token)."""
    token = getattr(request, "api_token", None)
    return bool(token and token.can_post_alerts)


def staff_only(request, why: str):
    """The caller, when it is provider staff; 403 with ``why`` for customers."""

    if is_customer(request.user):
        raise PermissionDenied(why)
    return request.user
