import time

from django.core.management.base import BaseCommand

from guichet.tickets import search


class Command(BaseCommand):
    help = (
        "Index every ticket again for full-text search (after a bulk load that went around the ticket "
        "services; the services keep the index up to date themselves)."
    )
    requires_system_checks: list[str] = []  # needs only the database, like createtoken

    def handle(self, *args, **options):
        started = time.monotonic()
        count = search.rebuild()
        self.stdout.write(f"{count} ticket(s) indexed in {time.monotonic() - started:.1f} s")
