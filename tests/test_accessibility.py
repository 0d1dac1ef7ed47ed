"""Every page, for the people who use it: each form control has a label, the page says its language, has
one main heading and a main landmark."""

from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet.billing import invoicing
from guichet.billing.claims import claim_file
from guichet.channels import chat
from guichet.channels.mail.services import receive
from guichet.channels.models import OnCallRota, Page
from guichet.tickets.services import ticket_change
from tests.contracts.factories import SubscriptionFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")


class Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labels_for, self.controls, self.depth_in_label = set(), [], 0
        self.h1, self.main, self.lang = 0, 0, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label":
            self.depth_in_label += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        elif tag == "h1":
            self.h1 += 1
        elif tag == "main":
            self.main += 1
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            labelled = self.depth_in_label > 0 or "aria-label" in a or "aria-labelledby" in a
            self.controls.append((tag, a.get("name"), a.get("id"), labelled))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth_in_label -= 1

    def unlabelled(self):
        return [(t, n) for t, n, i, labelled in self.controls if not labelled and i not in self.labels_for]


@pytest.fixture
def pages(world):
    with time_machine.travel(datetime(2026, 11, 3, 10, tzinfo=LU), tick=False):
        line = SubscriptionFactory(organisation=world.org, identifier="LU-1")
        ticket = open_incident(world)
        # A resolved ticket's page asks whether it is solved, with a reason to give if not.
        resolved = ticket_change(
            actor=world.agent,
            door="api",
            ticket=open_incident(world),
            expected_version=None,
            status="resolved",
        )
        outage = declare_outage(
            world, line, datetime(2026, 11, 3, 9, tzinfo=LU), datetime(2026, 11, 3, 10, tzinfo=LU)
        )
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=LU), tick=False):
        invoicing.billing_run(2026, 11)
        claim = claim_file(
            actor=world.customer,
            door="api",
            subscription=line,
            customer_name="Acme",
            customer_contact="carla@example.com",
            outage_start=datetime(2026, 11, 3, 9, tzinfo=LU),
            outage_end=datetime(2026, 11, 3, 10, tzinfo=LU),
            ticket=ticket.reference,
            description="x",
        )
    conversation = chat.customer_send(world.customer, "Hello").conversation
    rota = OnCallRota.objects.create(team=world.noc)
    Page.objects.create(ticket=ticket, rota=rota, reason="Urgent", created_at=ticket.opened_at)
    held = receive(
        b"From: <stranger@unknown.example>\r\nSubject: Hello\r\nMessage-ID: <a11y@x>\r\n\r\nHi\r\n"
    )
    invoice = world.org.invoices.get()
    customer = [
        "/extranet/",
        "/extranet/tickets/",
        "/extranet/tickets/new",
        f"/extranet/tickets/{ticket.reference}/",
        f"/extranet/tickets/{resolved.reference}/",
        "/extranet/services/",
        f"/extranet/services/{line.pk}/",
        f"/extranet/services/{line.pk}/terminate",
        "/extranet/invoices/",
        f"/extranet/invoices/{invoice.pk}/",
        "/extranet/claims/",
        "/extranet/claims/new",
        "/extranet/contacts/",
        "/extranet/activity/",
        "/extranet/chat/",
        "/extranet/tickets/?q=trunk",
        "/account/",
        "/account/password/",
    ]
    staff = [
        "/console/",
        "/console/search/?q=trunk",
        f"/console/tickets/{ticket.reference}/",
        "/console/claims/",
        f"/console/claims/{claim.pk}/",
        "/console/dashboard/",
        "/console/backoffice/",
        "/console/chat/",
        f"/console/chat/{conversation.pk}/",
        "/console/calls/?number=%2B352621000001",
        "/console/outages/",
        f"/console/outages/{outage.pk}/",
        "/console/oncall/",
        "/console/mail/",
        f"/console/mail/{held.pk}/",
        "/console/dead-letters/",
        "/account/",
        "/account/password/",
    ]
    return customer, staff


def test_every_page_labels_its_controls_and_has_its_landmarks(world, pages):
    customer_pages, staff_pages = pages
    carla, sue = Client(), Client()
    carla.force_login(world.customer)
    sue.force_login(world.supervisor)
    problems = {}
    for client, urls in ((carla, customer_pages), (sue, staff_pages)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            parsed = Controls()
            parsed.feed(response.text)
            if parsed.unlabelled() or parsed.h1 != 1 or parsed.main != 1 or not parsed.lang:
                problems[url] = (parsed.unlabelled(), parsed.h1, parsed.main, parsed.lang)
    assert problems == {}
