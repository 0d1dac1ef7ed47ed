"""The fault tests' data, made in a child process on the test's database:
``python -m tests.faults.data SCENARIO '{"json": "arguments"}'`` prints one JSON line."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import django


def escalation(tickets: int) -> dict:
    """Incidents opened ten days ago and never answered: every clock is past due, none notified yet."""
    from django.utils import timezone

    from guichet.customers.models import Team, User
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan
    from guichet.tickets import services
    from guichet.tickets.models import Category, SlaClock
    from tests.customers.factories import ContactFactory, OrganisationFactory, StaffFactory, TeamFactory

    load_plans()
    supervisor = StaffFactory(username="sue", kind=User.Kind.SUPERVISOR, email="sue@provider.example")
    TeamFactory(name="NOC", kind=Team.Kind.NOC, supervisor=supervisor)
    org = OrganisationFactory(name="Acme")
    OrganisationPlan.objects.create(organisation=org, plan=SlaPlan.objects.get(code="office"))
    customer = ContactFactory(organisation=org, user__username="carla").user
    admin = StaffFactory(username="root", kind=User.Kind.ADMIN)
    opened = timezone.now() - timedelta(days=10)
    for i in range(tickets):
        services.ticket_create(
            actor=admin,
            door="import",  # history: no acknowledgement mail, no paging
            organisation=org,
            requester=customer,
            subject=f"Trunk {i} down",
            description=f"No calls on trunk {i}",
            category=Category.INCIDENT,
            priority="high",
            opened_at=opened,
        )
    due = SlaClock.objects.filter(stopped=False, due_at__lt=timezone.now(), breach_notified_at__isnull=True)
    return {"tickets": tickets, "clocks": due.count()}


def mailbox(host: str, port: int, user: str, password: str, senders: int) -> dict:
    """An IMAP mailbox and the contacts who write to it."""
    from guichet.channels.models import Mailbox
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan
    from tests.customers.factories import ContactFactory, OrganisationFactory

    load_plans()
    org = OrganisationFactory(name="Acme")
    OrganisationPlan.objects.create(organisation=org, plan=SlaPlan.objects.get(code="office"))
    addresses = []
    for i in range(senders):
        contact = ContactFactory(
            organisation=org, user__username=f"contact{i}", user__email=f"c{i}@acme.example"
        )
        addresses.append(contact.user.email)
    Mailbox.objects.create(
        name="Support",
        address="support@guichet.example",
        kind=Mailbox.Kind.IMAP,
        imap_host=host,
        imap_port=port,
        imap_ssl=False,
        imap_user=user,
        imap_password=password,
        new_tickets_per_hour=100_000,
    )
    return {"senders": addresses}


def billing(organisations: int) -> dict:
    """Organisations with one subscription each, in service since before the month that just ended."""
    from guichet import provider
    from guichet.plans.demo import load_plans
    from tests.contracts.factories import SubscriptionFactory

    load_plans()
    first_of_month = provider.today().replace(day=1)
    start = (first_of_month - timedelta(days=70)).replace(day=1)
    for _ in range(organisations):
        SubscriptionFactory(start_date=start)
    previous = first_of_month - timedelta(days=1)
    return {"organisations": organisations, "year": previous.year, "month": previous.month}


def edits() -> dict:
    """One ticket, two agents with a password (console) and a token (API), a customer."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from guichet.customers.models import Team, User
    from guichet.customers.tokens import token_create
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan
    from guichet.tickets import services
    from guichet.tickets.models import Category
    from tests.customers.factories import ContactFactory, OrganisationFactory, StaffFactory, TeamFactory

    load_plans()
    org = OrganisationFactory(name="Acme")
    OrganisationPlan.objects.create(organisation=org, plan=SlaPlan.objects.get(code="office"))
    customer = ContactFactory(organisation=org, user__username="carla").user
    supervisor = StaffFactory(username="sue", kind=User.Kind.SUPERVISOR)
    team = TeamFactory(name="Support", kind=Team.Kind.SUPPORT, supervisor=supervisor)
    agents = {}
    for name in ("alice", "bob"):
        # The web server runs the real settings: store the password with their hasher, not the tests' MD5.
        agent = StaffFactory(username=name, kind=User.Kind.SUPERVISOR)
        agent.password = PBKDF2PasswordHasher().encode("pw", f"salt{name}")
        agent.save(update_fields=["password"])
        team.members.add(agent)
        _, token = token_create(user=agent)
        agents[name] = {"id": agent.pk, "token": token}
    ticket = services.ticket_create(
        actor=customer,
        door="web",
        organisation=org,
        requester=customer,
        subject="Trunk down",
        description="No calls since 9:00",
        category=Category.INCIDENT,
        priority="medium",
    )
    return {"ref": ticket.reference, "version": ticket.version, "agents": agents}


if __name__ == "__main__":
    django.setup()
    scenario, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(globals()[scenario](**arguments)))
