"""The demo data set loaded by `guichet load_demo` (and `make run`).

Idempotent: a second run changes nothing."""

from __future__ import annotations

from django.db import transaction

# username, password, kind, what the login is for
DEMO_LOGINS = [
    ("admin", "admin", "admin", "provider administrator (Django admin: calendars, plans, teams)"),
    ("sue", "demo", "supervisor", "supervisor of the support, NOC and billing teams"),
    ("alice", "demo", "agent", "support agent"),
    ("nora", "demo", "agent", "NOC agent (incidents)"),
    ("bill", "demo", "billing", "billing agent"),
    ("max", "demo", "account_manager", "account manager of Acme and Globex"),
    ("carla", "demo", "customer", "Acme's admin and technical contact (Office plan)"),
    ("gus", "demo", "customer", "Globex's technical contact (Advanced plan)"),
]


@transaction.atomic
def load_demo() -> int:
    """Load every app's demo data; returns the number of rows created or changed."""
    from guichet.customers.models import Team
    from guichet.customers.services import contact_ensure, organisation_ensure, team_ensure, user_ensure
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan

    changed = load_plans()
    users = {}
    for username, password, kind, _ in DEMO_LOGINS:
        users[username], created = user_ensure(
            username=username,
            password=password,
            email=f"{username}@guichet.localhost",
            is_staff=kind == "admin",
            is_superuser=kind == "admin",
            kind=kind,
            first_name=username.capitalize(),
            time_zone="Europe/Luxembourg",
        )
        changed += created
    for name, kind, members in (
        ("Support", Team.Kind.SUPPORT, ["alice"]),
        ("NOC", Team.Kind.NOC, ["nora"]),
        ("Billing", Team.Kind.BILLING, ["bill"]),
    ):
        _, did = team_ensure(
            name=name, kind=kind, supervisor=users["sue"], members=[users[m] for m in members]
        )
        changed += did
    for slug, name, plan_code, contact, roles in (
        ("acme", "Acme Telecom", "office", "carla", ["admin", "technical"]),
        ("globex", "Globex Hosting", "advanced", "gus", ["technical"]),
    ):
        org, created = organisation_ensure(slug=slug, name=name, account_manager=users["max"])
        changed += created
        _, created = OrganisationPlan.objects.get_or_create(
            organisation=org, defaults={"plan": SlaPlan.objects.get(code=plan_code)}
        )
        changed += created
        _, created = contact_ensure(user=users[contact], organisation=org, roles=roles)
        changed += created
    return changed
