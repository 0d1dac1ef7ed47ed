"""Probes and metrics for the platform that runs Guichet (load balancer, orchestrator, Prometheus).

- /healthz: liveness. The process answers; nothing else is checked (a database outage must not get every
  web process restarted).
- /readyz: readiness. The database answers and has every migration applied; else 503 with what is wrong, so
  the load balancer sends requests elsewhere (or nowhere) until it is.
- /metrics: Prometheus text format (guichet.ops.metrics). With GUICHET_METRICS_TOKEN set, only for
  ``Authorization: Bearer <token>``; without it, only from the addresses in GUICHET_METRICS_ALLOWED_IPS
  (loopback by default; behind GUICHET_TRUSTED_PROXIES proxies, the address the outermost proxy saw).
  Either way it says nothing about one customer.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from guichet.customers.signin import client_ip

from .errors import first_line
from .metrics import exposition

# Once every migration is seen applied, a process need not check again: migrations run before new code starts.
_migrated = False


@never_cache
@require_GET
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


def _pending_migrations() -> int:
    global _migrated
    if _migrated:
        return 0
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrated = pending == 0
    return pending


@never_cache
@require_GET
def readyz(request):
    checks: dict[str, str] = {}
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        pending = _pending_migrations()
        checks["migrations"] = "ok" if pending == 0 else f"{pending} not applied"
    except DatabaseError as exc:
        checks["database"] = f"unavailable: {first_line(exc)}"
    ready = all(value == "ok" for value in checks.values()) and "migrations" in checks
    return JsonResponse({"ready": ready, **checks}, status=200 if ready else 503)


def _may_scrape(request) -> bool:
    token = settings.GUICHET_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    # The address as the sign-in limit sees it: behind a TLS proxy on the same machine, REMOTE_ADDR is
    # the proxy's (127.0.0.1) for everyone, so the address the proxy saw (X-Forwarded-For) is judged.
    return client_ip(request) in settings.GUICHET_METRICS_ALLOWED_IPS


@never_cache
@require_GET
def metrics(request):
    if not _may_scrape(request):
        return HttpResponse("Metrics are for the monitoring system.\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
