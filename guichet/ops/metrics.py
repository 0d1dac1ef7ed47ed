"""Prometheus metrics, served at /metrics.

Two kinds:
- measured in the web processes: request latency per route (a histogram). Under gunicorn, each worker
  process writes its samples to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it up) and a scrape
  adds up every process's files, whichever worker answers it (prometheus_client's multiprocess mode).
- read from the database at each scrape: the task queue (depth and age of the oldest task ready to run, per
  queue), live workers, the escalations due and not fired yet, SLA breaches. They are the same whatever
  process answers and however many workers run, and cost a few index reads (about 10 ms at 1M tickets).
"""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, Count, F, Min, Q, When
from django.utils import timezone
from django_tasks.base import DEFAULT_TASK_QUEUE_NAME, TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from guichet.jobs.models import WorkerHeartbeat
from guichet.tickets.escalation import backlog
from guichet.tickets.models import SlaClock

# Buckets for pages and API calls: the targets are 300 ms at p95, so most of the resolution is below 1 s.
REQUEST_SECONDS = Histogram(
    "guichet_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route=route, method=method, status=f"{status // 100}xx").observe(seconds)


class DatabaseCollector(Collector):
    """Gauges computed from the database when scraped."""

    def collect(self):
        now = timezone.now()
        yield from _task_queue(now)
        yield from _workers(now)
        yield from _escalations(now)
        yield from _breaches(now)


def _task_queue(now):

    depth = GaugeMetricFamily(
        "guichet_task_queue_depth",
        "Tasks waiting, by queue and state (ready to run, or delayed).",
        labels=["queue", "state"],
    )
    age = GaugeMetricFamily(
        "guichet_task_queue_oldest_age_seconds",
        "How long the oldest task ready to run has been waiting, by queue (0 when none waits).",
        labels=["queue"],
    )
    running = GaugeMetricFamily(
        "guichet_tasks_running", "Tasks being run by a worker now, by queue.", labels=["queue"]
    )
    never = get_date_max()
    # A task without run_after waits since it was enqueued; a retried or delayed one since its run_after.
    ready_since = Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .annotate(since=ready_since)
        .values("queue_name")
        .annotate(
            ready=Count("pk", filter=~_delayed(now, never)),
            delayed=Count("pk", filter=_delayed(now, never)),
            oldest=Min("since", filter=~_delayed(now, never)),
        )
    )
    by_queue = {row["queue_name"]: row for row in rows}
    for queue in {DEFAULT_TASK_QUEUE_NAME, *by_queue}:  # the default queue always, so that a rule sees 0
        row = by_queue.get(queue, {"queue_name": queue, "ready": 0, "delayed": 0, "oldest": None})
        depth.add_metric([row["queue_name"], "ready"], row["ready"])
        depth.add_metric([row["queue_name"], "delayed"], row["delayed"])
        oldest = row["oldest"]
        age.add_metric([row["queue_name"]], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    for row in (
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        .values("queue_name")
        .annotate(n=Count("pk"))
    ):
        running.add_metric([row["queue_name"]], row["n"])
    yield from (depth, age, running)


def _workers(now):

    stale = now - timedelta(seconds=settings.GUICHET_WORKER_STALE_SECONDS)
    alive = GaugeMetricFamily(
        "guichet_workers_alive",
        "Task workers whose heartbeat is fresh (0 means nothing runs the background work).",
    )
    alive.add_metric([], WorkerHeartbeat.objects.filter(beat_at__gte=stale).count())
    yield alive


def _delayed(now, never):

    return Q(run_after__gt=now) & ~Q(run_after=never)


def _escalations(now):

    due = GaugeMetricFamily(
        "guichet_escalations_due",
        "SLA escalations (warning, breach notice, priority raise) whose instant passed, not fired yet.",
        labels=["step"],
    )
    lag = GaugeMetricFamily(
        "guichet_escalation_lag_seconds",
        "Time since the instant of the oldest escalation not fired yet, by step (0 when none is late).",
        labels=["step"],
    )
    for step, (count, oldest) in backlog(now).items():
        due.add_metric([step], count)
        lag.add_metric([step], (now - oldest).total_seconds() if oldest else 0.0)
    yield from (due, lag)


def _breaches(now):

    recent = GaugeMetricFamily(
        "guichet_sla_breaches_last_24h",
        "SLA clocks whose breach notice went out in the last 24 hours, by clock.",
        labels=["clock"],
    )
    rows = (
        SlaClock.objects.filter(breach_notified_at__gte=now - timedelta(hours=24))
        .values("clock")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        recent.add_metric([row["clock"]], row["n"])
    yield recent


def exposition() -> bytes:
    """The text a scrape gets: this process's (or, under gunicorn, every web process's) request metrics and
    the database gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
