"""Tickets in the extranet: open one (duplicates as you type, quota shown), follow it, reply, attach, flag."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guichet.tickets import services
from guichet.tickets.models import Ticket

LU = ZoneInfo("Europe/Luxembourg")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=LU), tick=False):
        yield


@pytest.fixture
def carla(world):
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    client = Client()
    client.force_login(world.customer)
    return client


def test_a_contact_opens_a_ticket_and_sees_when_it_is_due(world, carla):
    form = carla.get("/extranet/tickets/new").text
    assert "0 tickets opened this month (no quota on your plan)." in form
    sent = carla.post(
        "/extranet/tickets/new",
        {"subject": "SIP trunk down", "description": "No calls since 9:00", "category": "incident"},
    )
    assert sent.status_code == 302 and sent["Location"] == "/extranet/tickets/GT-2026-000001/"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester) == ("portal", world.customer)
    page = carla.get(sent["Location"]).text
    # Office plan, incident: 4 fault-handling hours to answer, Monday 10:00 -> 14:00 Luxembourg time
    assert 'datetime="2026-11-30T14:00:00+01:00">2026-11-30 14:00</time>' in page
    assert "How this is counted" in page and "Mon-Fri 08:00-18:00" in page
    listing = carla.get("/extranet/tickets/").text
    assert "GT-2026-000001" in listing and "(4\xa0hours left)" in listing  # time left, not just the instant


def test_bad_tickets_get_a_400_naming_the_field(world, carla):
    sent = carla.post("/extranet/tickets/new", {"subject": "", "description": ""})
    assert sent.status_code == 400 and "Subject: A subject is required." in sent.text
    assert "subject:" not in sent.text  # the field by its label, not its code
    assert Ticket.objects.count() == 0


def test_duplicates_are_offered_as_the_contact_types(world, carla):
    carla.post("/extranet/tickets/new", {"subject": "SIP trunk down at Site B", "description": "No calls"})
    fragment = carla.get("/extranet/tickets/similar", {"subject": "SIP trunk down", "description": ""})
    assert "GT-2026-000001" in fragment.text and "<html" not in fragment.text
    assert carla.get("/extranet/tickets/similar", {"subject": "Invoice question"}).text.strip() == ""
    spy = Client()
    spy.force_login(world.foreigner)
    assert "GT-2026-000001" not in spy.get("/extranet/tickets/similar", {"subject": "SIP trunk down"}).text


def test_the_contact_replies_attaches_and_flags_urgent(world, carla):
    ticket = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description="x",
    )
    services.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="Our secret note", internal=True)
    path = f"/extranet/tickets/{ticket.reference}/"
    assert "Our secret note" not in carla.get(path).text  # internal notes never reach customers
    assert carla.post(path + "reply", {"body": "Still down at noon"}).status_code == 302
    upload = SimpleUploadedFile("trace.txt", b"SIP/2.0 503 Service Unavailable", content_type="text/plain")
    assert carla.post(path + "attach", {"file": upload}).status_code == 302
    assert carla.post(path + "urgent").status_code == 302
    page = carla.get(path).text
    assert "Still down at noon" in page and "trace.txt" in page and "flagged urgent by you" in page
    history = page.split('id="history"')[1]
    # In sentences (tests/tickets/test_history.py has every action), never the events' codes.
    assert "carla opened the ticket on the extranet, priority Medium" in history
    assert "carla flagged the ticket urgent" in history and "carla attached trace.txt" in history
    assert "ticket.created" not in history and "ticket.changed" not in history
    assert "internal note" not in history  # the internal note's event is internal
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.customer_flagged_urgent


def test_a_foreign_ticket_is_404(world, carla):
    ticket = services.ticket_create(
        actor=world.foreigner,
        door="api",
        organisation=world.other_org,
        requester=world.foreigner,
        subject="Theirs",
        description="x",
    )
    path = f"/extranet/tickets/{ticket.reference}/"
    assert carla.get(path).status_code == 404
    assert carla.post(path + "reply", {"body": "hi"}).status_code == 404
    assert ticket.messages.count() == 1


def test_only_admin_or_billing_contacts_get_the_quote_s_buttons(world, carla):
    """Colin (technical contact) sees the quote and who may decide it; his POST of the form is refused."""
    from tests.customers.factories import ContactFactory

    ticket = services.ticket_create(
        actor=world.colleague,
        door="web",
        organisation=world.org,
        requester=world.colleague,
        subject="Move the rack",
        description="x",
        category="technical_service",
    )
    quote = services.quote_send(actor=world.agent, door="web", ticket=ticket, amount=Decimal("90"))
    path = f"/extranet/tickets/{ticket.reference}/"
    who = "Only your organisation's admin or billing contacts may accept or refuse a quote."
    bettys = ContactFactory(organisation=world.org, user__username="betty", roles=["billing"]).user
    colin, betty = Client(), Client()
    colin.force_login(world.colleague)
    betty.force_login(bettys)
    page = colin.get(path).text
    assert "90.00 EUR" in page and "Accept the quote" not in page and who in page
    refused = colin.post(f"{path}quotes/{quote.pk}", {"decision": "accept"})
    assert refused.status_code == 403
    quote.refresh_from_db()
    assert quote.status == "sent"
    for allowed in (carla, betty):
        page = allowed.get(path).text
        assert "Accept the quote" in page and "Refuse it" in page and who not in page
    assert betty.post(f"{path}quotes/{quote.pk}", {"decision": "refuse"}).status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.decided_by) == ("refused", bettys)


PDF = b"%PDF-1.4\n%%EOF\n"


def test_files_sent_with_a_new_ticket_are_kept_on_its_first_message(world, carla):
    assert 'name="attachments" type="file" multiple' in carla.get("/extranet/tickets/new").text
    files = [
        SimpleUploadedFile("capture.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("trace.txt", b"SIP/2.0 503 Service Unavailable", content_type="text/plain"),
    ]
    sent = carla.post(
        "/extranet/tickets/new",
        {"subject": "SIP trunk down", "description": "See the files", "attachments": files},
    )
    assert sent.status_code == 302
    ticket = Ticket.objects.get()
    first = ticket.messages.get()
    assert sorted(first.attachments.values_list("filename", flat=True)) == ["capture.pdf", "trace.txt"]
    page = carla.get(sent["Location"]).text
    assert "capture.pdf" in page and "trace.txt" in page


def test_a_refused_file_opens_no_ticket_and_names_the_field(world, carla):
    from guichet.tickets.models import Attachment

    files = [
        SimpleUploadedFile("capture.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", content_type="application/pdf"),
    ]
    sent = carla.post(
        "/extranet/tickets/new",
        {"subject": "SIP trunk down", "description": "See the files", "attachments": files},
    )
    assert sent.status_code == 400 and "Files: setup.exe: This type of file is not accepted" in sent.text
    assert 'value="SIP trunk down"' in sent.text  # the form comes back filled in
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0
