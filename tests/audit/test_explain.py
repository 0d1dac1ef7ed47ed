"""The audit trail in sentences: every action a service records is worded (a test reads the source for the
codes), in English and in French, with the names a customer knows; an unknown action is never its code."""

import ast
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from guichet.audit.explain import TELLERS, told
from guichet.audit.models import AuditEvent, Door
from guichet.audit.services import record
from guichet.availability import services as availability
from guichet.billing import claims as claim_services
from guichet.contracts import services as contracts
from guichet.customers import services as customers
from guichet.tickets import services as tickets
from tests.contracts.factories import ServiceFactory, SubscriptionFactory
from tests.helpers import declare_outage, open_incident

PACKAGE = Path(__file__).resolve().parent.parent.parent / "guichet"
LU = ZoneInfo("Europe/Luxembourg")
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
AUDITING = re.compile(r"^(record|_audit\w*)$")  # audit.services.record and the apps' helpers around it


def _codes(node: ast.expr) -> set[str]:
    """The action codes an argument can be: a literal, or either branch of ``a if x else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body) | _codes(node.orelse)
    assert not isinstance(node, ast.JoinedStr), "an action code built at run time cannot be checked"
    return set()


def recorded_actions() -> dict[str, str]:
    """Every action code a module of the package records, with the module: the literal codes given to
    ``record`` or to an app's ``_audit…`` helper, and those assigned to a variable named ``action`` (passed
    on to them)."""
    found: dict[str, str] = {}
    for module in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            arguments: list[ast.expr] = []
            if isinstance(node, ast.Call) and AUDITING.match(getattr(node.func, "id", "") or ""):
                arguments = [*node.args, *(k.value for k in node.keywords if k.arg == "action")]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "action" for t in node.targets):
                arguments = [node.value]
            for argument in arguments:
                found.update(dict.fromkeys(_codes(argument), module.name))
    return found


def test_every_action_a_service_records_is_worded():
    recorded = recorded_actions()
    assert len(recorded) >= 45  # the scan sees the services of every app
    assert {"subscription.suspended", "claim.filed", "invoice.issued", "ticket.note_added"} <= recorded.keys()
    assert {code: module for code, module in recorded.items() if code not in TELLERS} == {}


def test_every_worded_action_is_one_a_service_records():
    assert sorted(TELLERS.keys() - recorded_actions().keys()) == []


@pytest.fixture
def line(world):
    return SubscriptionFactory(
        organisation=world.org,
        service=ServiceFactory(code="mobile-line", name="Mobile line"),
        identifier="+352 621 123 456",
    )


def said(**filters) -> list[str]:
    """The sentences of the events that match, oldest first, in the active language."""
    events = AuditEvent.objects.filter(**filters).select_related("actor").order_by("at", "pk")
    return [sentence for t in told(list(events)) for sentence in t.sentences]


def in_both(**filters) -> tuple[list[str], list[str]]:
    with timezone.override(LU):
        with translation.override("en"):
            english = said(**filters)
        with translation.override("fr"):
            french = said(**filters)
    return english, french


def test_a_suspension_says_who_suspended_which_line_and_why(world, line):
    contracts.subscription_suspend(actor=world.customer, door=Door.WEB, subscription=line, reason="theft")
    contracts.subscription_resume(actor=world.customer, door=Door.WEB, subscription=line)
    english, french = in_both(target_id=line.pk, action__startswith="subscription.")
    assert english == [
        "carla suspended Mobile line +352 621 123 456: the device was stolen",
        "carla put Mobile line +352 621 123 456 back in service",
    ]
    assert french == [
        "carla a suspendu Mobile line +352 621 123 456 : l'appareil a été volé",
        "carla a remis en service Mobile line +352 621 123 456",
    ]


def test_a_claim_says_which_outage_it_is_for_and_how_long_it_lasted(world, line):
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world)
    with time_machine.travel(datetime(2026, 11, 20, tzinfo=LU), tick=False):
        declare_outage(
            world, line, datetime(2026, 11, 3, 10, tzinfo=LU), datetime(2026, 11, 3, 12, 15, tzinfo=LU)
        )
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=LU), tick=False):
        claim_services.claim_file(
            actor=world.customer,
            door=Door.WEB,
            subscription=line,
            customer_name="Acme",
            customer_contact="carla@example.com",
            outage_start=datetime(2026, 11, 3, 10, tzinfo=LU),
            outage_end=datetime(2026, 11, 3, 12, 15, tzinfo=LU),
            ticket=ticket.reference,
            description="No calls",
        )
    english, french = in_both(action__in=["outage.declared", "claim.filed"])
    assert english == [
        "nora declared an outage of Mobile line +352 621 123 456, “Down”, from 3 November 2026 10:00 to "
        "3 November 2026 12:15 (2 h 15 min)",
        "carla filed a claim for the outage of 3 November 2026 on Mobile line +352 621 123 456 (2 h 15 min); "
        "45.00 EUR proposed",
    ]
    assert french == [
        "nora a déclaré une interruption de Mobile line +352 621 123 456, « Down », du 3 novembre 2026 10:00 "
        "au 3 novembre 2026 12:15 (2 h 15 min)",
        "carla a déposé une réclamation pour l'interruption du 3 novembre 2026 sur Mobile line "
        "+352 621 123 456 (2 h 15 min) ; 45,00 EUR proposés",
    ]


def test_guichet_issues_invoices_and_the_back_office_takes_requests_into_account(world):
    invoice = SubscriptionFactory(organisation=world.org)  # any saved row: the event's target
    changes = {"number": "F-2026-00012", "month": "2026-11", "total": "1234.50 EUR"}
    record(
        actor=None,
        door=Door.SYSTEM,
        action="invoice.issued",
        target=invoice,
        organisation_id=world.org.pk,
        changes=changes,
    )
    english, french = in_both(action="invoice.issued")
    assert english == ["Guichet issued invoice F-2026-00012 for November 2026: 1,234.50 EUR"]
    assert french == ["Guichet a émis la facture F-2026-00012 pour novembre 2026 : 1\xa0234,50 EUR"]


def test_a_contacts_change_is_one_sentence_per_thing_changed(world):
    nina = customers.contact_create(
        actor=world.customer,
        door=Door.WEB,
        organisation=world.org,
        email="nina@acme.example",
        first_name="Nina",
        last_name="Muller",
        roles=["technical"],
    )
    customers.contact_update(
        actor=world.customer,
        door=Door.WEB,
        contact=nina,
        roles=["technical", "billing"],
        phone="+352 621 000 111",
    )
    english, french = in_both(action__startswith="contact.", target_id=nina.pk)
    assert english == [
        "carla added Nina Muller as a contact: Technical contact",
        "carla changed the roles of Nina Muller: Technical contact, Billing contact",
        "carla changed the phone number of Nina Muller to +352 621 000 111",
    ]
    assert french == [
        "carla a ajouté Nina Muller comme contact : Contact technique",
        "carla a changé les rôles de Nina Muller : Contact technique, Contact facturation",
        "carla a changé le numéro de téléphone de Nina Muller en +352 621 000 111",
    ]


def test_a_tickets_events_are_its_historys_sentences_after_its_reference(world):
    ticket = open_incident(world)
    tickets.ticket_reply(actor=world.agent, door=Door.EMAIL, ticket=ticket, body="On it", channel="email")
    english, french = in_both(action="ticket.replied")
    ref = ticket.reference
    assert english == [f"{ref}: alice replied by email", f"{ref}: The status became Open"]
    assert french == [f"{ref} : alice a répondu par e-mail", f"{ref} : Le statut est passé à « Ouvert »"]


def test_an_action_nobody_words_reads_as_a_change_never_as_its_code(world, line):
    record(
        actor=world.customer,
        door=Door.WEB,
        action="line.teleported",
        target=line,
        organisation_id=world.org.pk,
    )
    record(actor=None, door=Door.SYSTEM, action="line.teleported", target=line, organisation_id=world.org.pk)
    english, french = in_both(action="line.teleported")
    assert english == ["carla made a change", "Guichet made a change"]
    assert french == ["carla a effectué une modification", "Guichet a effectué une modification"]


def test_an_outage_event_names_only_the_readers_own_lines(world, line):
    theirs = SubscriptionFactory(organisation=world.other_org, identifier="LU-2")
    with time_machine.travel(datetime(2026, 11, 3, 12, tzinfo=LU), tick=False):
        outage = declare_outage(world, line, datetime(2026, 11, 3, 10, tzinfo=LU), None)
    availability.outage_update(
        actor=world.noc_agent,
        door=Door.API,
        outage=outage,
        title="Down",
        description="",
        subscriptions=[line, theirs],
    )
    with translation.override("en"):
        ours = said(action="outage.updated", organisation_id=world.org.pk)
        other = said(action="outage.updated", organisation_id=world.other_org.pk)
    assert ours == ["nora updated the outage “Down”"]  # another customer's line added: not named here
    assert other == ["nora added SIP trunk LU-2 to the outage “Down”"]


def test_a_persons_own_profile_and_password_changes_are_said_without_what_the_password_is(world):
    customers.profile_update(
        actor=world.customer,
        door=Door.WEB,
        user=world.customer,
        first_name="Carla",
        last_name="Rossi",
        language="fr",
        time_zone="Europe/Luxembourg",
        phone="+352 621 999 000",
    )
    customers.password_change(
        actor=world.customer, door=Door.WEB, user=world.customer, password="A long new 1!"
    )
    english, french = in_both(action__in=["profile.changed", "password.changed"])
    assert english == [
        "Carla Rossi changed their name",
        "Carla Rossi changed their language to French",
        "Carla Rossi changed their time zone to Europe/Luxembourg",
        "Carla Rossi changed their phone number to +352 621 999 000",
        "Carla Rossi changed their password",
    ]
    assert french == [
        "Carla Rossi a changé son nom",
        "Carla Rossi a changé sa langue : Français",  # the language as Django names it
        "Carla Rossi a changé son fuseau horaire : Europe/Luxembourg",
        "Carla Rossi a changé son numéro de téléphone : +352 621 999 000",
        "Carla Rossi a changé son mot de passe",
    ]
