"""Health, readiness and metrics endpoints, the request id and log line, 503 while the database is away."""

import io
import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import OperationalError, connections
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from guichet.ops import views
from guichet.ops.context import ContextFilter
from guichet.tickets import escalation, services
from guichet.tickets.models import Category

LU = ZoneInfo("Europe/Luxembourg")


def test_liveness_answers_without_touching_the_database(client):
    # No database fixture: pytest-django fails any query this makes.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_readiness_checks_the_database_and_its_migrations(client, db, monkeypatch):
    monkeypatch.setattr(views, "_migrated", False)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "migrations": "ok"}


def test_readiness_is_503_with_the_reason_when_the_database_refuses(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["database"].startswith("unavailable: connection to server")


def test_readiness_counts_migrations_not_applied(client, db, monkeypatch):
    class Plan:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda self: []})()})()

        def migration_plan(self, targets):
            return ["tickets.0009", "billing.0007"]

    monkeypatch.setattr(views, "_migrated", False)
    monkeypatch.setattr(views, "MigrationExecutor", Plan)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "2 not applied"


def test_metrics_are_for_the_monitoring_system_only(client, db, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client.get("/metrics").status_code == 200  # loopback
    settings.GUICHET_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200


def test_metrics_are_not_opened_to_the_world_by_a_proxy_on_the_same_machine(client, db, settings):
    settings.GUICHET_TRUSTED_PROXIES = 1
    # The TLS proxy on 127.0.0.1 forwards a visitor from outside: the visitor is judged, not the proxy.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9").status_code == 403
    assert (
        client.get("/metrics").status_code == 200
    )  # Prometheus on the machine itself, not through the proxy


def _sample(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in metric for k, v in labels.items()):
            return float(value)
    raise AssertionError(f"no sample {name} {labels} in:\n{text}")


def test_request_latency_is_measured_per_route(client, world):
    assert Client().get("/extranet/tickets/").status_code == 302  # anonymous: a 3xx series of the same route
    client.force_login(world.customer)
    # The process's histograms hold what earlier tests asked (in any order, with any status): count from the
    # same series before and after.
    labels = {"route": "extranet/tickets/", "method": "GET", "status": "2xx"}
    before = client.get("/metrics").content.decode()
    try:
        start = _sample(before, "guichet_http_request_duration_seconds_count", **labels)
    except AssertionError:
        start = 0
    for _ in range(3):
        assert client.get("/extranet/tickets/").status_code == 200
    text = client.get("/metrics").content.decode()
    assert _sample(text, "guichet_http_request_duration_seconds_count", **labels) == start + 3
    assert _sample(text, "guichet_http_request_duration_seconds_bucket", le="+Inf", **labels) == start + 3


def test_task_queue_depth_and_age_are_read_from_the_database(client, db):
    from guichet.contracts.tasks import end_terminated_subscriptions

    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=LU), tick=False):
        end_terminated_subscriptions.enqueue()
        end_terminated_subscriptions.enqueue()
    with time_machine.travel(datetime(2026, 11, 24, 10, 1, 30, tzinfo=LU), tick=False):
        text = client.get("/metrics").content.decode()
    assert _sample(text, "guichet_task_queue_depth", queue="default", state="ready") == 2
    assert _sample(text, "guichet_task_queue_depth", queue="default", state="delayed") == 0
    assert _sample(text, "guichet_task_queue_oldest_age_seconds", queue="default") == 90


def test_live_workers_are_counted_by_their_heartbeat(client, db, settings):
    from guichet.jobs.models import WorkerHeartbeat

    at = datetime(2026, 11, 24, 10, 0, tzinfo=LU)
    for name, seconds_ago in [("w1", 3), ("w2", 20), ("dead", settings.GUICHET_WORKER_STALE_SECONDS + 5)]:
        beat = at - timedelta(seconds=seconds_ago)
        WorkerHeartbeat.objects.create(worker_id=name, hostname="h", pid=1, started_at=beat, beat_at=beat)
    with time_machine.travel(at, tick=False):
        text = client.get("/metrics").content.decode()
    assert _sample(text, "guichet_workers_alive") == 2


def test_escalations_not_fired_yet_and_breaches_are_exposed(client, world):
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, 1, tzinfo=LU), tick=False):
        services.ticket_create(
            actor=world.admin,
            door="import",
            organisation=world.org,
            requester=world.customer,
            subject="Trunk down",
            description="No calls",
            category=Category.INCIDENT,
            priority="high",
            opened_at=datetime(2026, 11, 30, 8, tzinfo=LU),
        )
    # Office plan: first response due 12:00; the sweep has not come by at 12:05.
    with time_machine.travel(datetime(2026, 11, 30, 12, 5, tzinfo=LU), tick=False):
        text = client.get("/metrics").content.decode()
        assert _sample(text, "guichet_escalations_due", step="breach") == 1
        assert _sample(text, "guichet_escalation_lag_seconds", step="breach") == 300
        escalation.sweep()
        text = client.get("/metrics").content.decode()
    assert _sample(text, "guichet_escalations_due", step="breach") == 0
    assert _sample(text, "guichet_escalation_lag_seconds", step="breach") == 0
    assert _sample(text, "guichet_sla_breaches_last_24h", clock="first_response") == 1


def test_each_request_gets_an_id_and_one_structured_log_line(client, world, caplog):
    client.force_login(world.customer)
    with caplog.at_level(logging.INFO, logger="guichet.request"):
        response = client.get("/extranet/tickets/", HTTP_X_REQUEST_ID="proxy-abc-12345")
        forged = client.get("/extranet/tickets/", HTTP_X_REQUEST_ID="x\ninjected line")
    assert response["X-Request-ID"] == "proxy-abc-12345"
    assert len(forged["X-Request-ID"]) == 32 and "\n" not in forged["X-Request-ID"]
    lines = [r for r in caplog.records if r.name == "guichet.request"]
    assert len(lines) == 2
    line = lines[0]
    assert (line.request_id, line.method, line.route, line.status) == (
        "proxy-abc-12345",
        "GET",
        "extranet/tickets/",
        200,
    )
    assert line.user_id == world.customer.pk
    assert line.duration_ms > 0


def test_json_logs_carry_the_request_fields(client, world, settings):
    # The JSON formatter exactly as settings.LOGGING declares it, on a handler of our own for this test.
    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    options["fmt"] = options.pop("format")  # as dictConfig passes it to a formatter's factory
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("guichet.request")
    logger.addHandler(handler)
    try:
        client.force_login(world.customer)
        client.get("/extranet/tickets/", HTTP_X_REQUEST_ID="proxy-abc-12345")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["logger"] == "guichet.request" and entry["level"] == "INFO"
    assert entry["request_id"] == "proxy-abc-12345"
    assert entry["status"] == 200 and entry["route"] == "extranet/tickets/"
    assert entry["user_id"] == world.customer.pk
    assert "time" in entry and entry["message"].startswith("GET /extranet/tickets/ 200")


def carla_seeing_errors(world) -> Client:
    """A customer's signed-in client that gets the error answers instead of the exceptions behind them."""
    client = Client(raise_request_exception=False)
    client.force_login(world.customer)
    return client


def test_a_lost_database_answers_503_with_retry_after_on_pages_and_the_api(world, monkeypatch, settings):
    settings.DEBUG = False
    from guichet.customers import middleware

    client = carla_seeing_errors(world)

    def gone(request):
        raise OperationalError("server closed the connection unexpectedly")

    # Raised in a middleware, before any view: Django's handler500 answers, and it answers 503.
    monkeypatch.setattr(middleware.UserPreferencesMiddleware, "__call__", lambda self, request: gone(request))
    page = client.get("/extranet/tickets/")
    api = client.get("/api/v1/tickets")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert b"briefly unavailable" in page.content
    assert api.status_code == 503 and api.json()["detail"].startswith("The service is briefly unavailable")


def test_a_lost_database_in_a_view_is_503_even_in_debug(world, monkeypatch):
    from guichet.portal import tickets as portal_tickets

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(portal_tickets, "render", gone)
    client = carla_seeing_errors(world)
    response = client.get("/extranet/tickets/")
    assert response.status_code == 503 and response["Retry-After"] == "5"


def test_other_server_errors_are_a_plain_500_without_details(world, monkeypatch, settings):
    settings.DEBUG = False
    from guichet.portal import tickets as portal_tickets

    def broken(*args, **kwargs):
        raise ValueError("secret internals")

    monkeypatch.setattr(portal_tickets, "render", broken)
    client = carla_seeing_errors(world)
    response = client.get("/extranet/tickets/")
    assert response.status_code == 500
    assert b"secret internals" not in response.content


def test_the_api_answers_503_without_database_even_in_debug(world, monkeypatch, settings):
    settings.DEBUG = True  # django-ninja's own handler would answer a 500 with the traceback
    from guichet.api import tickets as api_tickets

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(api_tickets, "queue_page", gone)
    client = carla_seeing_errors(world)
    response = client.get("/api/v1/tickets")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["detail"].startswith("The service is briefly unavailable")


def test_a_database_outage_is_one_warning_line_per_request_not_a_traceback(
    world, monkeypatch, settings, caplog
):
    settings.DEBUG = False
    from guichet.customers import middleware

    def gone(self, request):
        raise OperationalError("server closed the connection unexpectedly\n\tThis probably means...")

    monkeypatch.setattr(middleware.UserPreferencesMiddleware, "__call__", gone)
    client = carla_seeing_errors(world)
    with caplog.at_level(logging.INFO):
        assert client.get("/extranet/tickets/").status_code == 503
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert record.getMessage().endswith("(database unavailable: server closed the connection unexpectedly)")
