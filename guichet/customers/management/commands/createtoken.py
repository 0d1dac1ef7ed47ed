from django.core.management.base import BaseCommand, CommandError

from guichet.customers.models import User
from guichet.customers.selectors import may_act
from guichet.customers.tokens import token_create


class Command(BaseCommand):
    # Only the database is needed (a token is random bytes, stored hashed): no system check, so that it runs
    # without SECRET_KEY, e.g. beside `make run` with DEBUG unset, as the README shows.
    requires_system_checks: list[str] = []
    help = "Create an API token for USERNAME and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")
        parser.add_argument(
            "--import", dest="can_import", action="store_true", help="May import tickets with past instants."
        )
        parser.add_argument(
            "--alerts",
            dest="can_post_alerts",
            action="store_true",
            help="The monitoring system's token: may post Prometheus Alertmanager alerts (staff users only).",
        )

    def handle(self, *args, username: str, name: str, can_import: bool, can_post_alerts: bool, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if not may_act(user):
            raise CommandError(f"user {username!r} is inactive")
        if can_import and user.kind != User.Kind.ADMIN:
            raise CommandError("only an admin's token may import tickets")
        if can_post_alerts and not user.is_provider_staff:
            raise CommandError("only a staff user's token may post monitoring alerts")
        _, token = token_create(user=user, name=name, can_import=can_import, can_post_alerts=can_post_alerts)
        self.stdout.write(token)
