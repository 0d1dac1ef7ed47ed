"""The extranet's pages for services, invoices and claims, and the console's claim decisions."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guichet.audit.models import AuditEvent
from guichet.billing import invoicing
from guichet.billing.models import Claim, Credit
from guichet.contracts.models import Milestone
from guichet.customers.models import User
from guichet.tickets.models import Ticket
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import StaffFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
DEC_3 = datetime(2026, 12, 3, 10, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(DEC_3, tick=False) as traveller:
        yield traveller


@pytest.fixture
def carla(world):
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    client = Client()
    client.force_login(world.customer)
    return client


@pytest.fixture
def line(world):
    subscription = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    Milestone.objects.create(
        subscription=subscription,
        kind="verified",
        at=datetime(2026, 1, 14, 10, tzinfo=LU),
        check_passed=True,
        note="Test calls OK",
        recorded_by=world.supervisor,
        recorded_at=datetime(2026, 1, 14, 10, tzinfo=LU),
    )
    return subscription


@pytest.fixture
def manager(world):
    max_ = StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER, email="max@example.com")
    world.org.account_manager = max_
    world.org.save()
    return max_


def test_the_home_page_gathers_tickets_services_invoices_claims_and_the_manager(world, line, manager, carla):
    open_incident(world)
    declare_outage(world, line, datetime(2026, 12, 1, 10, tzinfo=LU), datetime(2026, 12, 1, 12, tzinfo=LU))
    page = carla.get("/extranet/")
    assert page.status_code == 200
    text = page.text
    assert "GT-2026-000001" in text and "Trunk down" in text
    assert "SIP trunk +352 20 00 0001" in text and "not met" in text  # 2 h down in December so far
    assert "max@example.com" in text


def test_a_service_page_shows_deployment_and_availability_and_lets_the_line_be_suspended(world, line, carla):
    page = carla.get(f"/extranet/services/{line.pk}/").text
    assert "Verified at commissioning" in page and "check passed" in page and "Test calls OK" in page
    assert "December 2026" in page and "July 2026" in page  # six months of availability, by name
    assert carla.post(f"/extranet/services/{line.pk}/suspend", {"reason": "theft"}).status_code == 302
    line.refresh_from_db()
    assert line.status == "suspended"
    assert "The line is suspended." in carla.get(f"/extranet/services/{line.pk}/").text
    assert carla.post(f"/extranet/services/{line.pk}/resume").status_code == 302
    line.refresh_from_db()
    assert line.status == "active"
    doors = AuditEvent.objects.filter(target_type="contracts.subscription").values_list("action", "door")
    assert list(doors) == [("subscription.suspended", "web"), ("subscription.resumed", "web")]


def test_the_earliest_end_is_shown_before_the_termination_is_confirmed(world, line, carla):
    preview = carla.get(f"/extranet/services/{line.pk}/terminate")
    assert (
        "If you confirm today, the service ends at the earliest on <strong>2027-01-14</strong>"
        in preview.text
    )
    assert line.terminations.count() == 0
    assert carla.post(f"/extranet/services/{line.pk}/terminate").status_code == 302
    assert line.terminations.get().last_day == date(2027, 1, 14)
    assert (
        "Termination requested on 2026-12-03: last day 2027-01-14."
        in carla.get(f"/extranet/services/{line.pk}/").text
    )


def test_a_foreign_service_invoice_or_claim_page_is_404_and_staff_get_403(world, line, as_user):
    spy = Client()
    spy.force_login(world.foreigner)
    invoicing.billing_run(2026, 11)
    invoice = world.org.invoices.get()
    for url in (
        f"/extranet/services/{line.pk}/",
        f"/extranet/services/{line.pk}/terminate",
        f"/extranet/invoices/{invoice.pk}/",
    ):
        assert spy.get(url).status_code == 404
    assert spy.post(f"/extranet/services/{line.pk}/suspend", {"reason": "loss"}).status_code == 404
    line.refresh_from_db()
    assert line.status == "active"
    agent = Client()
    agent.force_login(world.agent)
    assert agent.get("/extranet/").status_code == 403
    assert Client().get("/extranet/claims/").status_code == 302  # to the sign-in page


def test_invoices_are_listed_with_their_duplicates(world, line, carla):
    invoicing.billing_run(2026, 11)
    invoice = world.org.invoices.get()
    listing = carla.get("/extranet/invoices/").text
    assert invoice.number in listing and "117.00 EUR" in listing  # 100.00 + 17 % VAT
    detail = carla.get(f"/extranet/invoices/{invoice.pk}/").text
    assert "SIP trunk +352 20 00 0001: 2026-11-01 to 2026-11-30" in detail
    pdf = carla.get(f"/api/v1/invoices/{invoice.pk}/pdf")  # the extranet's link, with the web session
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_invoices_are_for_admin_and_billing_contacts_only(world, line, carla):
    """Colin (technical contact) gets 403 on his organisation's invoices, 404 on a foreign one, and neither
    the navigation's link nor the home page's card; a billing contact gets all of them."""
    from tests.customers.factories import ContactFactory

    SubscriptionFactory(organisation=world.other_org, identifier="+352 20 00 0002")  # Globex is billed too
    invoicing.billing_run(2026, 11)
    invoice, foreign = world.org.invoices.get(), world.other_org.invoices.get()
    colin, betty = Client(), Client()
    colin.force_login(world.colleague)
    betty.force_login(ContactFactory(organisation=world.org, user__username="betty", roles=["billing"]).user)
    assert colin.get("/extranet/invoices/").status_code == 403
    assert colin.get(f"/extranet/invoices/{invoice.pk}/").status_code == 403
    assert colin.get(f"/extranet/invoices/{foreign.pk}/").status_code == 404
    home = colin.get("/extranet/").text
    assert 'href="/extranet/invoices/"' not in home and "Latest invoices" not in home
    assert 'href="/extranet/services/"' in home  # the rest of the navigation is there
    for allowed in (carla, betty):
        home = allowed.get("/extranet/").text
        assert 'href="/extranet/invoices/"' in home and invoice.number in home
        assert invoice.number in allowed.get("/extranet/invoices/").text
        assert allowed.get(f"/extranet/invoices/{invoice.pk}/").status_code == 200
        assert allowed.get(f"/extranet/invoices/{foreign.pk}/").status_code == 404


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_the_claim_forms_latest_tickets_are_read_in_order_from_an_index(world, line, carla):
    merged_away = open_incident(world)
    kept = open_incident(world)
    Ticket.objects.filter(pk=merged_away.pk).update(merged_into=kept)
    with CaptureQueriesContext(connection) as ctx:
        form = carla.get("/extranet/claims/new").text
    assert kept.reference in form and merged_away.reference not in form
    latest = 'ORDER BY "tickets_ticket"."opened_at" DESC'
    [sql] = [q["sql"] for q in ctx.captured_queries if latest in q["sql"]]
    with connection.cursor() as cur:
        plan = " ".join(str(r[-1]) for r in cur.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "ticket_org_opened" in plan and "TEMP B-TREE" not in plan, plan


def test_the_claim_form_names_each_missing_part(world, line, carla):
    form = carla.get("/extranet/claims/new").text
    assert "Today you can claim for 2026-11." in form
    assert 'value="Acme"' in form and 'value="carla@example.com"' in form  # filled in from the contact
    sent = carla.post("/extranet/claims/new", {"subscription_id": line.pk, "customer_name": ""})
    assert sent.status_code == 400
    for said in (
        "Customer name: Give the customer&#x27;s name.",
        "Start of the outage: Give the start of the outage.",
        "End of the outage: Give the end of the outage.",
        "Ticket number: Give the number of the ticket of the outage.",
        "Description: Describe the outage briefly.",
    ):
        assert said in sent.text  # each part named by its label, never by its code ("customer_name:")
    assert "customer_name:" not in sent.text and "outage_end:" not in sent.text
    assert Claim.objects.count() == 0


def test_a_claim_filed_in_the_extranet_is_decided_in_the_console(world, line, carla, manager):
    with time_machine.travel(datetime(2026, 11, 3, 10, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world)
    declare_outage(world, line, datetime(2026, 11, 3, 10, tzinfo=LU), datetime(2026, 11, 3, 12, tzinfo=LU))
    sent = carla.post(
        "/extranet/claims/new",
        {
            "subscription_id": line.pk,
            "kind": "downtime",
            "ticket": ticket.reference,
            "outage_start": "2026-11-03T10:00",  # Luxembourg time, as the form says
            "outage_end": "2026-11-03T12:00",
            "description": "No calls",
            "customer_name": "Acme",
            "customer_contact": "carla@example.com",
        },
    )
    assert sent.status_code == 302
    claim = Claim.objects.get()
    assert claim.outage_start == datetime(2026, 11, 3, 10, tzinfo=LU) and claim.proposed_amount == Decimal(
        "40.00"
    )
    assert "Filed, awaiting a decision" in carla.get("/extranet/claims/").text

    console = Client()
    console.force_login(manager)
    assert str(claim.pk) in console.get("/console/claims/").text
    page = console.get(f"/console/claims/{claim.pk}/").text
    assert "40.00 EUR" in page and "2 h 00 min" in page
    refused = console.post(f"/console/claims/{claim.pk}/decide", {"decision": "partial", "amount": "10"})
    assert refused.status_code == 400 and "reason: Say why" in refused.text
    decided = console.post(f"/console/claims/{claim.pk}/decide", {"decision": "approve"})
    assert decided.status_code == 302
    assert Credit.objects.get().amount == Decimal("40.00")
    assert "Approved" in carla.get("/extranet/claims/").text
    assert carla.get("/console/claims/").status_code == 403
    assert carla.post(f"/console/claims/{claim.pk}/decide", {"decision": "approve"}).status_code == 403
    assert claim.ticket == ticket and timedelta(0) == claim.outage_end - datetime(2026, 11, 3, 12, tzinfo=LU)


def test_the_admin_lists_what_the_services_record(world, line):
    root = world.admin
    root.is_staff = root.is_superuser = True
    root.save()
    admin = Client()
    admin.force_login(root)
    invoicing.billing_run(2026, 11)
    for path in (
        "contracts/subscription",
        "contracts/service",
        "availability/outage",
        "availability/qualitymeasurement",
        "billing/claim",
        "billing/credit",
        "billing/invoice",
        "billing/billingprofile",
    ):
        assert admin.get(f"/admin/{path}/").status_code == 200, path
    invoice = world.org.invoices.get()
    page = admin.get(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert page.status_code == 200 and invoice.number in page.text
    assert admin.get(f"/admin/contracts/subscription/{line.pk}/change/").status_code == 200


def test_the_termination_is_explained_in_the_contacts_language(world, line, carla):
    world.customer.language = "fr"
    world.customer.save()
    page = carla.get(f"/extranet/services/{line.pk}/terminate").text
    assert "Contrat commencé le 2026-01-15" in page
    carla.post(f"/extranet/services/{line.pk}/terminate")
    request = line.terminations.get()
    assert request.explanation.startswith("Started 2026-01-15") and request.explanation_fr.startswith(
        "Contrat"
    )
