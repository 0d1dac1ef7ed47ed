"""The demo data set loaded by `guichet load_demo` (and `make run`).

Idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from guichet.audit.models import Door
from guichet.contracts.models import Milestone, Service, Subscription
from guichet.contracts.services import milestone_record, subscription_create
from guichet.customers.models import Organisation, Team
from guichet.customers.services import contact_ensure, organisation_ensure, team_ensure, user_ensure
from guichet.plans.demo import load_plans
from guichet.plans.models import OrganisationPlan, SlaPlan

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
    changed += _load_subscriptions(users["admin"])
    return changed


# code, name; then organisation slug, service code, identifier, monthly fee, start date
DEMO_SERVICES = [
    ("sip-trunk", "SIP trunk"),
    ("fibre-1g", "Fibre internet 1 Gbit/s"),
    ("mobile-line", "Mobile line"),
]
DEMO_SUBSCRIPTIONS = [
    ("acme", "sip-trunk", "+352 20 30 40 50", "100.00", (2026, 1, 15)),
    ("acme", "mobile-line", "+352 621 123 456", "25.00", (2026, 3, 1)),
    ("globex", "fibre-1g", "LU-FIB-00042", "1000.00", (2025, 6, 1)),
]


def _load_subscriptions(admin) -> int:

    changed = 0
    services = {}
    for code, name in DEMO_SERVICES:
        services[code], created = Service.objects.get_or_create(code=code, defaults={"name": name})
        changed += created
    for slug, code, identifier, fee, start in DEMO_SUBSCRIPTIONS:
        if Subscription.objects.filter(service__code=code, identifier=identifier).exists():
            continue
        subscription = subscription_create(
            actor=admin,
            door=Door.CLI,
            organisation=Organisation.objects.get(slug=slug),
            service=services[code],
            identifier=identifier,
            monthly_fee=Decimal(fee),
            start_date=date(*start),
        )
        for kind in (Milestone.Kind.INSTALLED, Milestone.Kind.VERIFIED, Milestone.Kind.ACTIVE):
            milestone_record(
                actor=admin,
                door=Door.CLI,
                subscription=subscription,
                kind=kind,
                check_passed=True if kind == Milestone.Kind.VERIFIED else None,
            )
        changed += 1
    return changed
