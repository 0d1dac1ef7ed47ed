from django.core.management.base import BaseCommand, CommandError

from guichet.customers.models import ApiToken
from guichet.customers.tokens import token_revoke


class Command(BaseCommand):
    # Only the database is needed (a token is random bytes, stored hashed): no system check, so that it runs
    # without SECRET_KEY, e.g. beside `make run` with DEBUG unset, as the README shows.
    requires_system_checks: list[str] = []
    help = "Revoke an API token, given its prefix (the 8 characters after 'gt_')."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix: str, **options):
        row = ApiToken.objects.filter(prefix=prefix).first()
        if row is None:
            raise CommandError(f"no token with prefix {prefix!r}")
        token_revoke(token=row)
        self.stdout.write(f"revoked {prefix} ({row.user.username})")
