"""The answers for 403 and 404 (the site's pages 403.html and 404.html, in the viewer's language, saying
where to go; JSON under /api/) and for a server error: 503 with Retry-After when the database is unavailable,
else a plain 500 (JSON under /api/). Used by the request middleware and as Django's handler500, which also
catches the errors raised outside views (in a middleware that reads the session or the user)."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

log = logging.getLogger("guichet.request")
RETRY_AFTER_SECONDS = 5


def first_line(exc: BaseException) -> str:
    """An exception's message, its first line only (database errors run to several), else its class name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def database_unavailable(request, exception) -> HttpResponse:
    log.warning("database unavailable: %s", first_line(exception))
    message = "The service is briefly unavailable (database). Please try again in a few seconds."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Unavailable</title><h1>Service unavailable</h1><p>{message}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return database_unavailable(request, exception)
    message = "Internal server error. It has been logged; please try again later."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=500)
    return HttpResponse(
        f"<!doctype html><title>Server error</title><h1>Server error</h1><p>{message}</p>",
        status=500,
        content_type="text/html; charset=utf-8",
    )


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check: the site's page (templates/403_csrf.html) with the way home. Django's
    own page is bare and renders without the request, so it could not say who is signed in."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def forbidden(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(exception) or "You may not do this."}, status=403)
    return defaults.permission_denied(request, exception)
