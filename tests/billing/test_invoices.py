"""The monthly billing run: one invoice per organisation, one line per charge, credits as negative lines
carried over when too big, VAT per organisation, numbers without gaps, safe to re-run; credit notes; PDF,
CSV and the mail."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from guichet.billing import invoicing
from guichet.billing.models import BillingProfile, Credit, Invoice, InvoiceLine
from guichet.billing.tasks import monthly_billing, send_invoice
from guichet.businesstime.calendar import BusinessCalendar
from guichet.contracts import services as contracts
from guichet.contracts.models import Service
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import ContactFactory

LU = ZoneInfo("Europe/Luxembourg")
DECEMBER_1 = datetime(2026, 12, 1, 9, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(DECEMBER_1, tick=False) as traveller:
        yield traveller


@pytest.fixture
def book(world):
    """Acme: a SIP trunk all November and a mobile line from the 16th; Globex: a fibre line, no VAT."""
    mobile = Service.objects.create(code="mobile-line", name="Mobile line")
    fibre = Service.objects.create(code="fibre-1g", name="Fibre 1G")
    trunk = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")
    phone = SubscriptionFactory(
        organisation=world.org,
        service=mobile,
        identifier="+352 621 000 001",
        monthly_fee=Decimal("25.00"),
        start_date=date(2026, 11, 16),
    )
    line = SubscriptionFactory(
        organisation=world.other_org, service=fibre, identifier="LU-FIB-1", monthly_fee=Decimal("1000.00")
    )
    BillingProfile.objects.create(organisation=world.other_org, vat_rate=Decimal("0.00"), vat_number="BE0123")
    return {"trunk": trunk, "phone": phone, "fibre": line}


def lines(invoice):
    return [(line.description, str(line.amount)) for line in invoice.lines.all()]


def credit(world, subscription, amount, month=10):
    return Credit.objects.create(
        organisation=subscription.organisation,
        subscription=subscription,
        kind="downtime",
        year=2026,
        month=month,
        amount=Decimal(amount),
        currency="EUR",
        explanation="test",
        created_at=DECEMBER_1,
    )


def test_one_invoice_per_organisation_with_one_line_per_charge(world, book):
    assert invoicing.billing_run(2026, 11) == {"issued": 2, "already": 0, "empty": 0}
    acme = Invoice.objects.get(organisation=world.org)
    assert acme.number == "F-2026-000001" and (acme.billing_date, acme.issue_date) == (
        date(2026, 12, 1),
        date(2026, 12, 1),
    )
    assert lines(acme) == [
        ("SIP trunk +352 20 00 0001: 2026-11-01 to 2026-11-30 at 100.00 EUR a month", "100.000"),
        ("Mobile line +352 621 000 001: 2026-11-16 to 2026-11-30 at 25.00 EUR a month", "12.500"),
    ]
    assert (acme.subtotal, acme.vat_rate, acme.vat_amount, acme.total) == (
        Decimal("112.50"),
        Decimal("17.00"),
        Decimal("19.13"),  # 19.125, rounded half up
        Decimal("131.63"),
    )
    globex = Invoice.objects.get(organisation=world.other_org)
    assert globex.number == "F-2026-000002" and (globex.vat_amount, globex.total) == (0, Decimal("1000.00"))


def test_a_billing_run_can_be_repeated_and_bills_nothing_twice(world, book):
    invoicing.billing_run(2026, 11)
    assert invoicing.billing_run(2026, 11) == {"issued": 0, "already": 2, "empty": 0}
    assert Invoice.objects.count() == 2 and InvoiceLine.objects.count() == 3


def test_a_fee_change_mid_month_makes_two_lines(world, book):
    with time_machine.travel(datetime(2026, 11, 10, tzinfo=LU)):
        contracts.fee_change(
            actor=world.billing_agent,
            door="api",
            subscription=book["trunk"],
            monthly_fee=Decimal("120.00"),
            effective_on=date(2026, 11, 16),
        )
    invoicing.billing_run(2026, 11, organisation_ids=[world.org.pk])
    assert lines(Invoice.objects.get())[:2] == [
        ("SIP trunk +352 20 00 0001: 2026-11-01 to 2026-11-15 at 100.00 EUR a month", "50.000"),
        ("SIP trunk +352 20 00 0001: 2026-11-16 to 2026-11-30 at 120.00 EUR a month", "60.000"),
    ]


def test_a_terminated_line_is_billed_to_its_last_day_and_a_suspended_one_still_is(world, book):
    book["trunk"].end_date, book["trunk"].status = date(2026, 11, 10), "terminated"
    book["trunk"].save()
    book["phone"].status = "suspended"
    book["phone"].save()
    invoicing.billing_run(2026, 11, organisation_ids=[world.org.pk])
    assert [amount for _, amount in lines(Invoice.objects.get())] == ["33.330", "12.500"]  # 10/30 of 100.00


def test_a_credit_line_is_written_in_english_whoever_runs_the_billing(world, book):
    """The kind of credit is a translatable label; the stored line stays English under a French request."""
    credit(world, book["trunk"], "40.00")
    with translation.override("fr"):
        invoicing.billing_run(2026, 11, organisation_ids=[world.org.pk])
    assert lines(Invoice.objects.get())[2][0] == "Credit: downtime credit, SIP trunk +352 20 00 0001, 2026-10"


def test_credits_are_negative_lines_and_what_is_too_big_carries_over(world, book):
    small = credit(world, book["trunk"], "40.00")
    big = credit(world, book["phone"], "500.00")
    invoicing.billing_run(2026, 11, organisation_ids=[world.org.pk])
    november = Invoice.objects.get()
    assert lines(november)[2:] == [
        ("Credit: downtime credit, SIP trunk +352 20 00 0001, 2026-10", "-40.000"),
        (
            "Credit: downtime credit, Mobile line +352 621 000 001, 2026-10 (427.50 EUR carried over to the "
            "next invoice)",
            "-72.500",
        ),
    ]
    assert (november.subtotal, november.vat_amount, november.total) == (0, 0, 0)  # never below zero
    small.refresh_from_db()
    big.refresh_from_db()
    assert (small.remaining, big.applied, big.remaining) == (0, Decimal("72.50"), Decimal("427.50"))

    with time_machine.travel(datetime(2027, 1, 1, 9, tzinfo=LU), tick=False):
        invoicing.billing_run(2026, 12, organisation_ids=[world.org.pk])
    december = Invoice.objects.get(month=12)
    assert december.number == "F-2027-000001"  # a new year, a new sequence
    assert lines(december)[-1][1] == "-125.000"  # all of December's 125.00 absorbed
    big.refresh_from_db()
    assert big.remaining == Decimal("302.50")


def test_invoice_numbers_have_no_gap_when_an_invoice_fails(world, book, monkeypatch):
    real = InvoiceLine.objects.bulk_create
    calls = []

    def failing_second(rows, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(rows, *args, **kwargs)

    monkeypatch.setattr(InvoiceLine.objects, "bulk_create", failing_second)
    with pytest.raises(RuntimeError):
        invoicing.billing_run(2026, 11)
    assert Invoice.objects.count() == 0  # the chunk (here both organisations) is rolled back, numbers too
    monkeypatch.undo()
    assert invoicing.billing_run(2026, 11) == {"issued": 2, "already": 0, "empty": 0}
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["F-2026-000001", "F-2026-000002"]


def test_an_invoice_already_made_by_a_concurrent_run_is_skipped_without_its_number(world, book, monkeypatch):
    """Another run's invoice for Globex appears after this run read which invoices existed (here it is made
    inside this run's savepoint, so it goes with it; what matters is the clash and the number)."""
    real = invoicing._issue

    def concurrent_first(invoice_number, org_id, *args):
        if org_id == world.other_org.pk and not Invoice.objects.filter(organisation_id=org_id).exists():
            Invoice.objects.create(
                number="F-2026-000900",
                organisation_id=org_id,
                year=2026,
                month=11,
                currency="EUR",
                billing_date=date(2026, 12, 1),
                issue_date=date(2026, 12, 1),
                due_date=date(2026, 12, 31),
                subtotal=0,
                vat_rate=0,
                vat_amount=0,
                total=0,
                issued_at=DECEMBER_1,
            )
        return real(invoice_number, org_id, *args)

    monkeypatch.setattr(invoicing, "_issue", concurrent_first)
    assert invoicing.billing_run(2026, 11) == {"issued": 1, "already": 1, "empty": 0}
    assert Invoice.objects.get(organisation=world.org).number == "F-2026-000001"
    assert invoicing.locked_counter(Invoice.Kind.INVOICE, 2026).last == 1  # Globex's number was given back


def test_a_month_is_billed_only_once_it_has_ended(world, book, as_user):
    response = as_user(world.billing_agent).post("/billing-runs", {"year": 2026, "month": 12})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "month"
    assert as_user(world.agent).post("/billing-runs", {"year": 2026, "month": 11}).status_code == 403
    ran = as_user(world.billing_agent).post("/billing-runs", {"year": 2026, "month": 11})
    assert ran.json() == {"issued": 2, "already": 0, "empty": 0}


def test_invoices_are_issued_within_four_business_days_of_the_billing_date(world, book):
    assert monthly_billing.call() == {"issued": 2, "already": 0, "empty": 0}
    working_days = BusinessCalendar("Mon-Fri 00:00-24:00", "Europe/Luxembourg", country="LU")
    deadline = working_days.add_days(datetime(2026, 12, 1, tzinfo=LU), 4).date()
    assert deadline == date(2026, 12, 7)  # Tuesday 1st + 4 business days, over a weekend
    for invoice in Invoice.objects.all():
        assert invoice.issue_date <= deadline


def test_a_correction_is_a_credit_note_referring_to_the_invoice(world, book, as_user):
    invoicing.billing_run(2026, 11)
    acme = Invoice.objects.get(organisation=world.org)
    bill = as_user(world.billing_agent)
    path = f"/invoices/{acme.pk}/credit-notes"
    assert bill.post(path, {}).json()["detail"][0]["field"] == "reason"
    assert bill.post(path, {"reason": "x", "amount": "200"}).json()["detail"][0]["field"] == "amount"
    note = bill.post(path, {"reason": "Mobile line billed from the wrong day", "amount": "12.50"})
    assert note.status_code == 201
    body = note.json()
    assert (body["number"], body["kind"], body["corrects"], body["subtotal"], body["total"]) == (
        "AV-2026-000001",
        "credit_note",
        "F-2026-000001",
        "-12.50",
        "-14.63",
    )
    rest = bill.post(path, {"reason": "Cancelled"}).json()
    assert (
        rest["number"] == "AV-2026-000002" and rest["subtotal"] == "-100.00"
    )  # what the invoice still bills
    assert bill.post(path, {"reason": "Again"}).json()["detail"][0]["field"] == "amount"
    acme.refresh_from_db()
    assert acme.subtotal == Decimal("112.50")  # the invoice itself never changes
    assert as_user(world.customer).post(path, {"reason": "mine"}).status_code == 403


def test_customers_read_their_invoices_as_pdf_and_csv(world, book, as_user):
    invoicing.billing_run(2026, 11)
    acme = Invoice.objects.get(organisation=world.org)
    carla = as_user(world.customer)
    listed = carla.get("/invoices").json()
    assert [i["number"] for i in listed] == ["F-2026-000001"]
    detail = carla.get(f"/invoices/{acme.pk}").json()
    assert [line["amount"] for line in detail["lines"]] == ["100.00", "12.50"] and detail["total"] == "131.63"
    pdf = carla.get(f"/invoices/{acme.pk}/pdf")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    assert 'filename="F-2026-000001.pdf"' in pdf["Content-Disposition"]
    csv_text = carla.get(f"/invoices/{acme.pk}/csv").content.decode()
    assert csv_text.splitlines()[1].endswith(",100.00,EUR") and "total,,,131.63,EUR" in csv_text
    spy = as_user(world.foreigner)
    for suffix in ("", "/pdf", "/csv"):
        assert spy.get(f"/invoices/{acme.pk}{suffix}").status_code == 404


def test_only_admin_and_billing_contacts_read_their_organisations_invoices_and_credits(world, book, as_user):
    invoicing.billing_run(2026, 11)
    acme = Invoice.objects.get(organisation=world.org)
    globex = Invoice.objects.get(organisation=world.other_org)
    betty = ContactFactory(organisation=world.org, user__username="betty", roles=["billing"]).user
    colin, betty = as_user(world.colleague), as_user(betty)  # Colin: a technical contact only
    refused = "Only your organisation's admin or billing contacts may see its invoices and credits."
    for path in ("/invoices", f"/invoices/{acme.pk}", f"/invoices/{acme.pk}/pdf", f"/invoices/{acme.pk}/csv"):
        response = colin.get(path)
        assert (response.status_code, response.json()["detail"]) == (403, refused), path
        assert betty.get(path).status_code == 200, path
    assert colin.get("/credits").status_code == 403 and betty.get("/credits").status_code == 200
    for suffix in ("", "/pdf", "/csv"):  # another organisation's invoice is not found, for him as for anyone
        assert colin.get(f"/invoices/{globex.pk}{suffix}").status_code == 404
    assert [i["number"] for i in betty.get("/invoices").json()] == ["F-2026-000001"]


def test_each_invoice_is_mailed_once_with_its_pdf(world, book):
    ContactFactory(organisation=world.org, user__username="betty", user__language="fr", roles=["billing"])
    invoicing.billing_run(2026, 11, organisation_ids=[world.org.pk])
    invoice = Invoice.objects.get()
    assert send_invoice.call(invoice.pk) == 1
    assert send_invoice.call(invoice.pk) == 0  # once
    [message] = mail.outbox
    assert message.to == ["betty@example.com"] and message.subject == "Facture F-2026-000001"
    assert "131.63 EUR TTC" in message.body
    [(name, content, kind)] = message.attachments
    assert (name, kind) == ("F-2026-000001.pdf", "application/pdf") and content.startswith(b"%PDF")


def test_amounts_are_rounded_to_the_currencys_minor_unit(world, book):
    tunis = SubscriptionFactory(
        organisation=world.other_org,
        identifier="TN-1",
        currency="TND",
        monthly_fee=Decimal("100.000"),
        start_date=date(2026, 11, 2),
    )
    invoicing.billing_run(2026, 11, organisation_ids=[world.other_org.pk])
    tnd = Invoice.objects.get(currency="TND")
    assert lines(tnd) == [
        (f"SIP trunk {tunis.identifier}: 2026-11-02 to 2026-11-30 at 100.000 TND a month", "96.667")
    ]
    assert Invoice.objects.filter(organisation=world.other_org).count() == 2  # one per currency


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_bill_each_organisation_once_and_leave_no_gap(world, book):
    """Two workers start the same month's run at the same instant (PostgreSQL in CI: real concurrent
    transactions; on SQLite the second waits for the database's one write lock)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need a database server (CI's PostgreSQL pass)")
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(invoicing.billing_run(2026, 11))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r["issued"] for r in results) == 2 and sum(r["already"] for r in results) == 2
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["F-2026-000001", "F-2026-000002"]
