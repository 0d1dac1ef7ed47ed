"""The errors every layer raises and every door maps: the API to HTTP statuses and JSON, the pages to their
status and flash messages, the command line to one line and an exit code. Domain apps import them from here,
never from one another."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

__all__ = ["Conflict", "NotFound", "PermissionDenied", "QuotaExceeded", "ValidationError"]


class NotFound(Http404):
    """The object does not exist for the one asking (a foreign organisation's ticket is not found). An
    Http404, so a page that meets it answers 404 by itself; the API maps it to its JSON 404."""


class Conflict(Exception):
    """The change was made against a stale version of the ticket."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the ticket changed since version you sent; it is now at version {current_version}")
        self.current_version = current_version


class QuotaExceeded(Exception):
    """The organisation has used its monthly ticket quota and its plan refuses tickets over it."""
