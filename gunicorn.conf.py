"""Gunicorn settings, read from the working directory (``gunicorn guichet.wsgi:application``).

The application is loaded once in the master and forked (``preload_app``), with the cyclic garbage collector
kept off until the fork and everything loaded by then frozen (``gc.freeze``): the workers share those pages
copy-on-write, and their full collections no longer walk the tens of thousands of long-lived objects of
Django, the API schemas and the calendars, which made one queue page in twenty take 50-70 ms instead of 15
(bench/tickets.py). That is the recipe of the ``gc.freeze`` documentation for pre-fork servers.
"""

import gc
import glob
import os
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
preload_app = True
# A request stuck longer than this (a lost database, a runaway report) gets its worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20

# Prometheus multiprocess mode: every worker writes its request metrics to files in this directory and any
# worker's /metrics adds them all up. It must be set before the application (and prometheus_client) is
# loaded, hence here; a fresh directory per start, as prometheus_client asks.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="guichet-metrics-")
else:  # a directory given by the operator: only the previous run's metric files are removed
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def on_starting(server):
    gc.disable()


def pre_fork(server, worker):
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - import the URLconf (and the API's schemas) before forking
    gc.freeze()


def post_fork(server, worker):
    # A young collection every 10,000 allocations instead of 700: a request builds thousands of short-lived
    # objects in reference cycles (prefetched tickets and clocks point at each other), and with the
    # defaults their collections (full ones included) fell on one request in ten: queue page over HTTP at
    # 1M tickets, p95 21-25 ms with the defaults, 14-17 ms with this (bench/tickets.py, 4 runs).
    gc.set_threshold(10_000, 10, 10)
    gc.enable()


def child_exit(server, worker):
    # The files of a dead worker stay (its counts are kept) but its live gauges go.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
