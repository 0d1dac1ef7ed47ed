from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from guichet.jobs.schedule import SchedulerThread


class Command(BaseCommand):
    help = (
        "Run the background worker: django-tasks-db's db_worker, plus the scheduler that enqueues periodic "
        "work (once per period across all workers). Stops cleanly on SIGINT/SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-scheduler", action="store_true", help="Run tasks only, schedule nothing.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between queue polls.")
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument("--queue-name", default="*", help="Queues to work on, comma-separated (* = all).")

    def handle(self, *args, no_scheduler=False, interval=1.0, batch=False, queue_name="*", **options):
        scheduler = None
        if not no_scheduler:
            scheduler = SchedulerThread(settings.GUICHET_SCHEDULER_INTERVAL)
            scheduler.start()
        try:
            db_options = {
                "reload": False,
                "interval": interval,
                "queue_name": queue_name,
                "verbosity": options["verbosity"],
            }
            if batch:
                db_options["batch"] = True
            call_command("db_worker", **db_options)
        finally:
            if scheduler is not None:
                scheduler.stop()
