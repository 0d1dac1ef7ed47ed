import signal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from guichet.jobs.schedule import SchedulerThread
from guichet.jobs.worker import GuichetWorker, HeartbeatThread, beat, forget, new_worker_id

SIGNALS = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])


class Command(BaseCommand):
    help = (
        "Run the background worker: django-tasks-db's worker loop (kept alive through database outages), a "
        "heartbeat, and the scheduler that enqueues periodic work (once per period across all workers) and "
        "queues again the tasks of dead workers. Stops cleanly on SIGINT/SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Run tasks only: schedule nothing, recover nothing (other workers do).",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between queue polls.")
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument("--queue-name", default="*", help="Queues to work on, comma-separated (* = all).")

    def handle(self, *args, no_scheduler=False, interval=1.0, batch=False, queue_name="*", **options):
        # The stubs want a TextIO; a command takes any stream, an OutputWrapper too (call_command's own).
        command = DbWorkerCommand(stdout=self.stdout, stderr=self.stderr)  # type: ignore[arg-type]
        command.configure_logging(options["verbosity"])
        worker_id = new_worker_id()
        worker = GuichetWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=True,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
        worker.configure_signals()  # first: a SIGTERM from now on stops the worker cleanly
        heartbeat = HeartbeatThread(worker_id, settings.GUICHET_WORKER_HEARTBEAT_SECONDS)
        scheduler = None
        try:
            # An in-memory database (the test suite's) is seen by this process only: nobody to tell we
            # live, and a second thread writing to it would collide with the tasks' writes.
            # SQLite's wrapper has is_in_memory_db; the stubs type the proxy as the base wrapper.
            if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
                beat(worker_id, heartbeat.started_at)
            else:
                heartbeat.start()
            if not no_scheduler:
                scheduler = SchedulerThread(settings.GUICHET_SCHEDULER_INTERVAL, heartbeat=heartbeat)
                scheduler.start()
            worker.run()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            for thread in (scheduler, heartbeat):
                if thread is not None:
                    thread.stop()
            for thread in (scheduler, heartbeat):
                if thread is not None and thread.is_alive():
                    thread.join(timeout=5)  # each closes its own connection on the way out
            forget(worker_id)
