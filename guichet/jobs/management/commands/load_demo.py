from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.demo import DEMO_LOGINS, load_demo


class Command(BaseCommand):
    help = "Load the demo calendars, SLA plans and logins (idempotent: a second run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DEBUG off (the demo logins have well-known passwords).",
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "refusing to load demo logins with DEBUG off (pass --allow-production to force)"
            )
        changed = load_demo()
        self.stdout.write(f"demo data loaded: {changed} row(s) created or changed")
        for username, password, _, role in DEMO_LOGINS:
            self.stdout.write(f"  login {username} / {password}: {role}")
