"""One middleware around every request: an id (X-Request-ID, kept from the proxy or made up), one structured
log line when it is answered, its latency in the metrics, and a clean 503 while the database is away."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import context
from .errors import database_unavailable
from .metrics import observe_request

log = logging.getLogger("guichet.request")

# Probes and scrapes come every few seconds: they are neither logged nor measured.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = context.incoming_request_id(request.headers.get("X-Request-ID"))
        token = context.request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            context.request_id.reset(token)
        response["X-Request-ID"] = rid
        if request.path in QUIET_PATHS:
            return response
        seconds = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        observe_request(route, request.method, response.status_code, seconds)
        user = getattr(request, "user", None)
        log.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response

    def process_exception(self, request, exception):
        # A view (or the API) that met a lost or refused database connection: 503 with Retry-After rather
        # than 500, so that clients and the proxy in front retry. Django reconnects on the next request
        # (CONN_HEALTH_CHECKS), so the service recovers by itself once the database is back.
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable(request, exception)
        return None


class ContentSecurityPolicyMiddleware:
    """Sends GUICHET_CONTENT_SECURITY_POLICY with every answer: scripts only from our own static files (no
    inline script, no eval), so text that slipped past escaping still could not run; styles may be inline
    (the sign-in page and htmx's indicator carry some). An empty setting sends none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.GUICHET_CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
