"""Mail that nobody sent before (issue 13): a quote waiting for the customer, a claim filed (to the account
manager), a new urgent incident (to its team, and to the engineer on call when a rota is configured). Through
a real SMTP server (aiosmtpd) and the worker, in each reader's language, never twice."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.billing import claims
from guichet.channels.models import OnCallRota, OnCallShift
from guichet.customers.models import User
from guichet.tickets import services as tickets
from guichet.tickets.models import Notification
from tests.channels.mail.test_outbound import smtp, work  # noqa: F401 - the SMTP sink fixture
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import StaffFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
TUESDAY_10 = datetime(2026, 12, 1, 10, tzinfo=LU)  # support is open (office plan: Mon-Fri 08:00-18:00)
pytestmark = pytest.mark.django_db(transaction=True)  # the worker and the SMTP server run for real


def by_recipient(sink) -> dict[str, list]:
    out: dict[str, list] = {}
    for message in sink.messages:
        out.setdefault(message["To"], []).append(message)
    return out


def with_address(user: User, email: str, language: str = "en") -> User:
    user.email, user.language = email, language
    user.save()
    return user


@time_machine.travel(TUESDAY_10, tick=False)
def test_a_quote_is_mailed_to_the_requester_and_to_the_contacts_who_decide_it(world, smtp):  # noqa: F811
    with_address(world.customer, "carla@acme.example", "fr")  # admin contact: decides
    with_address(world.colleague, "colin@acme.example")  # technical contact: asked for the work
    with_address(world.foreigner, "fred@globex.example")
    ticket = tickets.ticket_create(
        actor=world.colleague,
        door="api",
        organisation=world.org,
        requester=world.colleague,
        subject="Move the rack",
        description="To room 2",
        category="technical_service",
    )
    work()
    smtp.messages.clear()  # the acknowledgement
    tickets.quote_send(
        actor=world.agent, door="api", ticket=ticket, amount=Decimal("1250"), description="Two technicians"
    )
    work()
    work()  # a second run sends nothing again
    mails = by_recipient(smtp)
    assert sorted(mails) == ["carla@acme.example", "colin@acme.example"]
    [colin], [carla] = mails["colin@acme.example"], mails["carla@acme.example"]
    assert colin["Subject"] == f"[{ticket.reference}] quote waiting for your decision: Move the rack"
    assert "we propose: 1250.00 EUR" in colin.get_content() and "Two technicians" in colin.get_content()
    french = f"[{ticket.reference}] devis en attente de votre décision : Move the rack"
    assert carla["Subject"].strip() == french  # folded: encoded words start on a line of their own
    assert "nous proposons : 1250.00 EUR" in carla.get_content()
    assert carla["X-Guichet-Ticket"] == ticket.reference  # threaded: her answer comes back to the ticket


@time_machine.travel(TUESDAY_10, tick=False)
def test_a_quote_decided_before_its_mail_left_is_not_mailed(world, smtp):  # noqa: F811
    with_address(world.customer, "carla@acme.example")
    ticket = tickets.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Move the rack",
        description="To room 2",
        category="technical_service",
    )
    quote = tickets.quote_send(actor=world.agent, door="api", ticket=ticket, amount=Decimal("10"))
    tickets.quote_decide(actor=world.customer, door="web", quote=quote, accept=True)
    work()
    assert [m["Subject"] for m in smtp.messages] == [f"[{ticket.reference}] Move the rack"]  # the receipt


def urgent_incident(world):
    return tickets.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description="No calls",
        category="incident",
        priority="urgent",
    )


@time_machine.travel(TUESDAY_10, tick=False)
def test_a_new_urgent_incident_is_mailed_to_its_team_and_to_the_engineer_on_call(world, smtp):  # noqa: F811
    with_address(world.noc_agent, "nora@provider.example", "fr")
    with_address(world.supervisor, "sue@provider.example")
    otto = StaffFactory(username="otto", email="otto@provider.example")  # on call, outside the NOC team
    rota = OnCallRota.objects.create(team=world.noc, acknowledge_minutes=15)
    OnCallShift.objects.create(
        rota=rota,
        user=otto,
        starts_at=datetime(2026, 11, 30, tzinfo=LU),
        ends_at=datetime(2026, 12, 7, tzinfo=LU),
        position=1,
    )
    ticket = urgent_incident(world)
    assert ticket.team == world.noc
    work()
    work()
    staff = {k: v for k, v in by_recipient(smtp).items() if k.endswith("@provider.example")}
    assert {k: [m["Subject"] for m in v] for k, v in staff.items()} == {
        "nora@provider.example": [f"[{ticket.reference}] nouvel incident urgent"],
        "sue@provider.example": [f"[{ticket.reference}] new urgent incident"],
        "otto@provider.example": [f"[{ticket.reference}] new urgent incident"],
    }
    assert "Nouvel incident urgent" in staff["nora@provider.example"][0].get_content()
    assert set(
        Notification.objects.filter(ticket=ticket, kind=Notification.Kind.URGENT_INCIDENT).values_list(
            "recipient__username", flat=True
        )
    ) == {"nora", "sue", "otto"}


@time_machine.travel(TUESDAY_10, tick=False)
def test_an_ordinary_incident_or_an_import_tells_no_one(world, smtp):  # noqa: F811
    with_address(world.noc_agent, "nora@provider.example")
    open_incident(world)  # medium priority
    tickets.ticket_create(
        actor=world.admin,
        door="import",
        organisation=world.org,
        requester=world.customer,
        subject="Old outage",
        description="From the old helpdesk",
        category="incident",
        priority="urgent",
        can_import=True,
    )
    work()
    assert [m for m in smtp.messages if m["To"] == "nora@provider.example"] == []
    assert not Notification.objects.filter(kind=Notification.Kind.URGENT_INCIDENT).exists()


def file_claim(world, line, ticket):
    return claims.claim_file(
        actor=world.customer,
        door="web",
        subscription=line,
        customer_name="Carla Costa",
        customer_contact="carla@acme.example",
        outage_start=datetime(2026, 11, 3, 10, tzinfo=LU),
        outage_end=datetime(2026, 11, 3, 12, tzinfo=LU),
        ticket=ticket.reference,
        description="No calls for two hours",
    )


def test_a_claim_filed_is_mailed_to_the_account_manager_in_its_language(world, smtp):  # noqa: F811
    manager = StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER, email="max@provider.example")
    manager.language = "fr"
    manager.save()
    world.org.account_manager = manager
    world.org.save()
    with_address(world.supervisor, "sue@provider.example")
    line = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    declare_outage(world, line, datetime(2026, 11, 3, 10, tzinfo=LU), datetime(2026, 11, 3, 12, tzinfo=LU))
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=LU), tick=False):
        claim = file_claim(world, line, ticket)
        work()
        work()
    [mail] = [m for m in smtp.messages if m["To"].endswith("@provider.example")]
    assert mail["To"] == "max@provider.example"
    assert mail["Subject"].strip() == f"[{ticket.reference}] réclamation SLA déposée"
    body = mail.get_content()
    assert "Acme a déposé une réclamation SLA" in body and f"/console/claims/{claim.pk}/" in body


def test_without_an_account_manager_the_supervisors_hear_of_the_claim(world, smtp):  # noqa: F811
    with_address(world.supervisor, "sue@provider.example")
    line = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    declare_outage(world, line, datetime(2026, 11, 3, 10, tzinfo=LU), datetime(2026, 11, 3, 12, tzinfo=LU))
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=LU), tick=False):
        file_claim(world, line, ticket)
        work()
    assert [(m["To"], m["Subject"]) for m in smtp.messages if m["To"].endswith("@provider.example")] == [
        ("sue@provider.example", f"[{ticket.reference}] SLA claim filed")
    ]
