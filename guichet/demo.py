"""The demo data set loaded by `guichet load_demo` (and `make run`).

Idempotent: a second run changes nothing."""

from __future__ import annotations

from django.db import transaction

# username, password, what the login is for
DEMO_LOGINS = [
    ("admin", "admin", "provider administrator (Django admin: calendars, plans)"),
]


@transaction.atomic
def load_demo() -> int:
    """Load every app's demo data; returns the number of rows created or changed."""
    from guichet.customers.services import user_ensure
    from guichet.plans.demo import load_plans

    changed = 0
    for username, password, _ in DEMO_LOGINS:
        _, created = user_ensure(
            username=username,
            password=password,
            email=f"{username}@guichet.localhost",
            is_staff=True,
            is_superuser=True,
        )
        changed += created
    changed += load_plans()
    return changed
