"""The authorisation matrix's machinery (used by test_authorization_matrix.py): the roles, the expectation
tables, the objects each organisation gets, the request each route is sent, and how an answer is judged.

The tables give, for each route, what each role may do on an object of its own organisation (for staff: of
either organisation). Foreign objects need no column: a contact asking for another organisation's object gets
404, whatever the route (a body that names one gets the answer a missing id gets: 404, or 400/422 naming the
field), and anonymous visitors get 401 (API) or the sign-in page (pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 12, 1, 10, tzinfo=LU)  # a Tuesday in support hours, inside November's claim window

# Markers written into the objects' text: an answer holding one where it has no business is a leak.
GLOBEX = "SECRET-GLOBEX"  # Globex's objects: never in an answer to Acme's contacts nor to anonymous visitors
ACME = "SECRET-ACME"  # Acme's objects: never in an answer to anonymous visitors
INTERNAL = "INTERNAL-NOTE-MARKER"  # internal notes and their files: never in an answer to a contact
CARLA_CHAT = "CARLA-PRIVATE-CHAT"  # Carla's chat: never shown to her colleague Colin

ROLES = (
    "anonymous",
    "customer_admin",
    "customer_contact",
    "agent",
    "supervisor",
    "billing",
    "admin",
    "deactivated",
)
# Who gets "login" on every route, whatever the object: anonymous visitors, and Dana, an admin and billing
# contact of Acme deactivated by Carla after her API token was made and her session opened (both are sent:
# the token on the API, the session on the pages and on the API too).
SIGNED_OUT = ("anonymous", "deactivated")
COLUMNS = tuple(role for role in ROLES if role not in SIGNED_OUT)  # the tables' columns
CUSTOMERS = ("customer_admin", "customer_contact")

OK, FORBIDDEN, NOT_FOUND, LOGIN = "ok", "403", "404", "login"
# An answer "passed authorisation" (OK) unless it is 401, 403, 404, the sign-in page or a 5xx: a 400, 409 or
# 422 about the body, or a redirect back to the page with an error message, still got past the gate.
REFUSALS = (FORBIDDEN, NOT_FOUND, LOGIN)

# ------------------------------------------------------------------------------------------ the tables
# Columns: customer admin contact (Carla), plain contact (Colin: technical role only), agent of the support
# team (Alice: the tickets are routed to it), supervisor (Sue), billing staff (Bill: billing team, so the
# support team's tickets are not his), admin (Root). "[action]" names a second request to the same route.

# API operations, as "METHOD path" of /api/openapi.json without /api/v1.
API = {
    #                                                     c.adm contact agent  sup.  bill. admin
    "GET /me": "                                          ok    ok    ok    ok    ok    ok",
    "GET /organisations": "                               ok    ok    ok    ok    ok    ok",
    "POST /organisations": "                              403   403   403   ok    403   ok",
    "GET /organisations/{org_id}": "                      ok    ok    ok    ok    ok    ok",
    "GET /organisations/{org_id}/contacts": "             ok    ok    ok    ok    ok    ok",
    "POST /organisations/{org_id}/contacts": "            ok    403   ok    ok    ok    ok",
    "GET /organisations/{org_id}/quota": "                ok    ok    ok    ok    ok    ok",
    "GET /plans": "                                       ok    ok    ok    ok    ok    ok",
    "GET /plans/{code}": "                                ok    ok    ok    ok    ok    ok",
    "GET /tickets": "                                     ok    ok    ok    ok    ok    ok",
    "POST /tickets": "                                    ok    ok    ok    ok    ok    ok",
    "GET /tickets/similar": "                             ok    ok    ok    ok    ok    ok",
    "GET /tickets/{ref}": "                               ok    ok    ok    ok    404   ok",
    "PATCH /tickets/{ref}": "                             ok    ok    ok    ok    404   ok",
    "PATCH /tickets/{ref} [assign]": "                    403   403   ok    ok    404   ok",
    "POST /tickets/{ref}/replies": "                      ok    ok    ok    ok    404   ok",
    "POST /tickets/{ref}/notes": "                        403   403   ok    ok    404   ok",
    "GET /tickets/{ref}/messages": "                      ok    ok    ok    ok    404   ok",
    "POST /tickets/{ref}/intervention": "                 403   403   ok    ok    404   ok",
    "POST /tickets/{ref}/merge": "                        403   403   ok    ok    404   ok",
    "POST /tickets/{ref}/attachments": "                  ok    ok    ok    ok    404   ok",
    "POST /tickets/{ref}/attachments [internal]": "       403   403   ok    ok    404   ok",
    "GET /tickets/{ref}/attachments": "                   ok    ok    ok    ok    404   ok",
    "GET /tickets/{ref}/attachments/{attachment_id}": "   ok    ok    ok    ok    404   ok",
    "GET /tickets/{ref}/attachments/{attachment_id} [internal]": "404 404 ok ok 404 ok",
    "POST /tickets/{ref}/watchers": "                     ok    ok    ok    ok    404   ok",
    "POST /tickets/{ref}/watchers/remove": "              ok    ok    ok    ok    404   ok",
    "GET /tickets/{ref}/history": "                       ok    ok    ok    ok    404   ok",
    "GET /tickets/{ref}/sla": "                           ok    ok    ok    ok    404   ok",
    "POST /tickets/{ref}/quotes": "                       403   403   ok    ok    404   ok",
    "GET /tickets/{ref}/quotes": "                        ok    ok    ok    ok    404   ok",
    "POST /tickets/{ref}/quotes/{quote_id}/accept": "     ok    403   403   403   404   ok",
    "POST /tickets/{ref}/quotes/{quote_id}/refuse": "     ok    403   403   403   404   ok",
    "GET /calls/caller": "                                403   403   ok    ok    ok    ok",
    "POST /calls": "                                      403   403   ok    ok    ok    ok",
    "GET /pages": "                                       403   403   ok    ok    ok    ok",
    # The rota is the NOC's: Alice (support) and Bill (billing) are neither its team nor on its shifts. A
    # false alarm silences the paging too: the same people judge it.
    "POST /pages/{page_id}/acknowledge": "                404   404   403   ok    403   ok",
    "POST /pages/{page_id}/false-alarm": "                404   404   403   ok    403   ok",
    "GET /pages/false-alarms": "                          403   403   ok    ok    ok    ok",
    "GET /services": "                                    ok    ok    ok    ok    ok    ok",
    "GET /subscriptions": "                               ok    ok    ok    ok    ok    ok",
    "POST /subscriptions": "                              403   403   ok    ok    ok    ok",
    "GET /subscriptions/{subscription_id}": "             ok    ok    ok    ok    ok    ok",
    "POST /subscriptions/{subscription_id}/milestones": " 403   403   ok    ok    ok    ok",
    "POST /subscriptions/{subscription_id}/suspend": "    ok    ok    ok    ok    ok    ok",
    "POST /subscriptions/{subscription_id}/resume": "     ok    ok    ok    ok    ok    ok",
    "POST /subscriptions/{subscription_id}/fees": "       403   403   403   ok    ok    ok",
    "GET /subscriptions/{subscription_id}/termination": " ok    ok    ok    ok    ok    ok",
    "POST /subscriptions/{subscription_id}/termination": "ok    403   ok    ok    ok    ok",
    "GET /subscriptions/{subscription_id}/availability": "ok   ok    ok    ok    ok    ok",
    "POST /subscriptions/{subscription_id}/measurements": "403 403   ok    ok    ok    ok",
    "GET /subscriptions/{subscription_id}/quality": "     ok    ok    ok    ok    ok    ok",
    "GET /outages": "                                     ok    ok    ok    ok    ok    ok",
    # Outages are the NOC's (its team's agents), supervisors' and admins': Alice (support) and Bill (billing)
    # read them, and neither declare, end nor announce one (permissions.may_declare_outages).
    "POST /outages": "                                    403   403   403   ok    403   ok",
    "POST /outages/{outage_id}/end": "                    403   403   403   ok    403   ok",
    "POST /outages/{outage_id}/announce": "               403   403   403   ok    403   ok",
    # Only the monitoring system's token (ApiToken.can_post_alerts), which none of these callers holds.
    "POST /outages/alertmanager": "                       403   403   403   403   403   403",
    "GET /claims": "                                      ok    ok    ok    ok    ok    ok",
    "POST /claims": "                                     ok    ok    ok    ok    ok    ok",
    "GET /claims/{claim_id}": "                           ok    ok    ok    ok    ok    ok",
    "POST /claims/{claim_id}/decision": "                 403   403   403   ok    403   ok",
    # What the organisation is billed and credited: its admin and billing contacts only (Colin: 403 on his
    # own organisation's, 404 on a foreign one as for everyone).
    "GET /credits": "                                     ok    403   ok    ok    ok    ok",
    "GET /invoices": "                                    ok    403   ok    ok    ok    ok",
    "GET /invoices/{invoice_id}": "                       ok    403   ok    ok    ok    ok",
    "GET /invoices/{invoice_id}/pdf": "                   ok    403   ok    ok    ok    ok",
    "GET /invoices/{invoice_id}/csv": "                   ok    403   ok    ok    ok    ok",
    "POST /invoices/{invoice_id}/credit-notes": "         403   403   403   ok    ok    ok",
    "POST /billing-runs": "                               403   403   403   ok    ok    ok",
}

# Pages, as "METHOD route" of guichet/urls.py. The extranet is for contacts and the console for staff: the
# other side is turned away at the door (403) before any object is looked up, so its cells say 403 whatever
# the object.
PAGES = {
    #                                                     c.adm contact agent  sup.  bill. admin
    "GET ": "                                             ok    ok    ok    ok    ok    ok",
    "GET extranet/": "                                    ok    ok    403   403   403   403",
    "GET extranet/tickets/": "                            ok    ok    403   403   403   403",
    "GET extranet/tickets/new": "                         ok    ok    403   403   403   403",
    "POST extranet/tickets/new": "                        ok    ok    403   403   403   403",
    "GET extranet/tickets/similar": "                     ok    ok    403   403   403   403",
    "GET extranet/tickets/<str:ref>/": "                  ok    ok    403   403   403   403",
    "POST extranet/tickets/<str:ref>/reply": "            ok    ok    403   403   403   403",
    "POST extranet/tickets/<str:ref>/attach": "           ok    ok    403   403   403   403",
    "POST extranet/tickets/<str:ref>/urgent": "           ok    ok    403   403   403   403",
    "POST extranet/tickets/<str:ref>/solved": "           ok    ok    403   403   403   403",
    "POST extranet/tickets/<str:ref>/not-solved": "       ok    ok    403   403   403   403",
    "POST extranet/tickets/<str:ref>/quotes/<int:pk>": "  ok    403   403   403   403   403",
    "GET extranet/services/": "                           ok    ok    403   403   403   403",
    "GET extranet/services/<int:pk>/": "                  ok    ok    403   403   403   403",
    "POST extranet/services/<int:pk>/suspend": "          ok    ok    403   403   403   403",
    "POST extranet/services/<int:pk>/resume": "           ok    ok    403   403   403   403",
    "GET extranet/services/<int:pk>/terminate": "         ok    ok    403   403   403   403",
    "POST extranet/services/<int:pk>/terminate": "        ok    403   403   403   403   403",
    "GET extranet/invoices/": "                           ok    403   403   403   403   403",
    "GET extranet/invoices/<int:pk>/": "                  ok    403   403   403   403   403",
    "GET extranet/claims/": "                             ok    ok    403   403   403   403",
    "GET extranet/claims/new": "                          ok    ok    403   403   403   403",
    "POST extranet/claims/new": "                         ok    ok    403   403   403   403",
    "GET extranet/contacts/": "                           ok    ok    403   403   403   403",
    "POST extranet/contacts/": "                          ok    403   403   403   403   403",
    "POST extranet/contacts/<int:pk>/": "                 ok    403   403   403   403   403",
    "GET extranet/activity/": "                           ok    ok    403   403   403   403",
    "GET extranet/chat/": "                               ok    ok    403   403   403   403",
    "POST extranet/chat/": "                              ok    ok    403   403   403   403",
    # A chat is its contact's own: Colin gets 404 for Carla's, though it is his organisation's.
    "GET extranet/chat/<int:pk>/": "                      ok    404   403   403   403   403",
    "GET extranet/chat/<int:pk>/transcript": "            ok    404   403   403   403   403",
    "POST extranet/chat/<int:pk>/end": "                  ok    404   403   403   403   403",
    "GET console/": "                                     403   403   ok    ok    ok    ok",
    "POST console/views": "                               403   403   ok    ok    ok    ok",
    "GET console/tickets/<str:ref>/": "                   403   403   ok    ok    404   ok",
    "POST console/tickets/<str:ref>/reply": "             403   403   ok    ok    404   ok",
    "POST console/tickets/<str:ref>/change": "            403   403   ok    ok    404   ok",
    "POST console/tickets/<str:ref>/intervention": "      403   403   ok    ok    404   ok",
    "POST console/tickets/<str:ref>/merge": "             403   403   ok    ok    404   ok",
    "POST console/tickets/<str:ref>/quote": "             403   403   ok    ok    404   ok",
    "GET console/rows": "                                 403   403   ok    ok    ok    ok",
    # A bulk action finds the ticked tickets inside the agent's queue: a foreign one refuses the whole act
    # with a message (a redirect to the queue), which says no more than the agent sent.
    "POST console/bulk": "                                403   403   ok    ok    ok    ok",
    "POST console/tickets/<str:ref>/macro": "             403   403   ok    ok    404   ok",
    "GET console/tickets/<str:ref>/canned": "             403   403   ok    ok    404   ok",
    "GET console/tickets/<str:ref>/presence": "           403   403   ok    ok    404   ok",
    "POST console/tickets/<str:ref>/presence": "          403   403   ok    ok    404   ok",
    "GET console/tickets/<str:ref>/merge-targets": "      403   403   ok    ok    404   ok",
    "GET console/search/": "                              403   403   ok    ok    ok    ok",
    "GET console/dashboard/": "                           403   403   403   ok    403   ok",
    "GET console/claims/": "                              403   403   ok    ok    ok    ok",
    "GET console/claims/<int:pk>/": "                     403   403   ok    ok    ok    ok",
    "POST console/claims/<int:pk>/decide": "              403   403   403   ok    403   ok",
    "GET console/backoffice/": "                          403   403   ok    ok    ok    ok",
    "POST console/backoffice/<int:pk>/done": "            403   403   ok    ok    ok    ok",
    "GET console/chat/": "                                403   403   ok    ok    ok    ok",
    "GET console/chat/<int:pk>/": "                       403   403   ok    ok    ok    ok",
    "GET console/chat/<int:pk>/transcript": "             403   403   ok    ok    ok    ok",
    "POST console/chat/<int:pk>/reply": "                 403   403   ok    ok    ok    ok",
    "POST console/chat/<int:pk>/convert": "               403   403   ok    ok    ok    ok",
    "POST console/chat/<int:pk>/end": "                   403   403   ok    ok    ok    ok",
    "GET console/calls/": "                               403   403   ok    ok    ok    ok",
    "POST console/calls/log": "                           403   403   ok    ok    ok    ok",
    "GET console/outages/": "                             403   403   ok    ok    ok    ok",
    "POST console/outages/declare": "                     403   403   403   ok    403   ok",
    "GET console/outages/<int:pk>/": "                    403   403   ok    ok    ok    ok",
    "POST console/outages/<int:pk>/update": "             403   403   403   ok    403   ok",
    "POST console/outages/<int:pk>/end": "                403   403   403   ok    403   ok",
    "POST console/outages/<int:pk>/announce": "           403   403   403   ok    403   ok",
    "GET console/oncall/": "                              403   403   ok    ok    ok    ok",
    "POST console/oncall/pages/<int:pk>/acknowledge": "   403   403   403   ok    403   ok",
    "POST console/oncall/pages/<int:pk>/false-alarm": "   403   403   403   ok    403   ok",
    # Held mail is the support desk's: Bill (billing) neither reads nor handles it.
    "GET console/mail/": "                                403   403   ok    ok    403   ok",
    "GET console/mail/<int:pk>/": "                       403   403   ok    ok    403   ok",
    "POST console/mail/<int:pk>/ticket": "                403   403   ok    ok    403   ok",
    "POST console/mail/<int:pk>/reply": "                 403   403   ok    ok    403   ok",
    "POST console/mail/<int:pk>/drop": "                  403   403   ok    ok    403   ok",
    "GET console/dead-letters/": "                        403   403   ok    ok    403   ok",
    "POST console/dead-letters/<int:pk>/replay": "        403   403   ok    ok    403   ok",
    # One's own profile and password: everyone signed in, on their own login only (no id in the URL).
    "GET account/": "                                     ok    ok    ok    ok    ok    ok",
    "POST account/": "                                    ok    ok    ok    ok    ok    ok",
    "GET account/password/": "                            ok    ok    ok    ok    ok    ok",
    "POST account/password/": "                           ok    ok    ok    ok    ok    ok",
}

# URL patterns that are not pages of the matrix (each with its reason). Any other pattern must be in PAGES.
NOT_PAGES = {
    "admin/": "Django's admin (is_staff users only)",
    "api/v1/": "the API: its operations come from /api/openapi.json",
    "api/openapi.json": "the API's public description",
    "accounts/login/": "sign-in, public",
    "accounts/logout/": "sign-out, public",
    "accounts/password-reset/": "password reset, public",
    "accounts/password-reset/sent/": "password reset, public",
    "accounts/reset/<uidb64>/<token>/": "password reset, public (the token is the credential)",
    "accounts/reset/done/": "password reset, public",
    "i18n/setlang/": "the language switcher, public (signed in, it changes one's own profile only)",
    "channels/whatsapp/webhook": "WhatsApp's webhook (signed by Meta; tests/channels/test_whatsapp.py)",
    "healthz": "operations probe (tests/ops)",
    "readyz": "operations probe (tests/ops)",
    "metrics": "operations metrics (tests/ops)",
}

# Cells that follow the code but that a provider may not want: printed with the report, to be decided.
QUESTIONS = {
    "POST /claims": "any contact, not only an admin or billing contact, files an SLA claim (the extranet's "
    "claim form too)",
    "POST /subscriptions/{subscription_id}/suspend": "every member of staff (agents and billing staff too) "
    "suspends, resumes and requests the termination of any line: the services check no staff kind",
}


# Every instant an API operation's body takes (a date-time field of its schema), judged. IMPORTS_ONLY: the
# instant of an SLA event (a ticket opened, a message written, an intervention started, a call taken), which
# only an import (an admin, a token with the import permission) may put in the past: anyone else gets a 422
# naming the field. The others are records of what happened outside the tickets' clocks, each with why a
# past instant is what they are for. A new instant field fails the test until it is added here.
IMPORTS_ONLY = "imports only"
INSTANTS = {
    "POST /tickets": {"opened_at": IMPORTS_ONLY},
    "POST /tickets/{ref}/replies": {"at": IMPORTS_ONLY},
    "POST /tickets/{ref}/notes": {"at": IMPORTS_ONLY},
    "POST /tickets/{ref}/intervention": {"at": IMPORTS_ONLY},
    "POST /calls": {"started_at": IMPORTS_ONLY},
    "POST /subscriptions/{subscription_id}/milestones": {
        "at": "a deployment step's date, done or planned (installation_scheduled); no clock nor credit "
        "reads it",
    },
    "POST /outages": {
        "started_at": "the NOC records the network's past (outages are noticed after they begin); the outage "
        "is downtime in the customer's favour, checked by the claims",
        "ended_at": "as started_at; a maintenance is planned ahead",
    },
    "POST /outages/{outage_id}/end": {"ended_at": "the NOC records when the network came back"},
    "POST /claims": {
        "outage_start": "the period the customer claims for, always past; checked against the recorded "
        "outages",
        "outage_end": "as outage_start",
    },
}
PAST = "2026-11-30T09:00:00+01:00"  # the day before NOW, in support hours

# ------------------------------------------------------------------------------------------ the routes


@dataclass(frozen=True)
class Route:
    door: str  # "api" or "page"
    method: str
    path: str  # /tickets/{ref} (API, without /api/v1) or extranet/tickets/<str:ref>/ (a page's route)
    action: str  # "" or the name of a second request to the same route ("internal", "assign")
    own: dict[str, str]  # column -> outcome on an object of the caller's organisation

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.action}]" if self.action else "")

    @property
    def params(self) -> list[str]:
        pattern = r"\{(\w+)\}" if self.door == "api" else r"<(?:\w+:)?(\w+)>"
        return re.findall(pattern, self.path)

    @property
    def body_ref(self) -> bool:
        """The object is named in the body (a foreign one is refused as a missing one: 404, 400 or 422)."""
        return self.key in BODY_REFS

    @property
    def variants(self) -> tuple[str, ...]:
        """acme: the victim's own object; globex: the other organisation's; mixed: an own ticket with the
        other organisation's quote or file; none: the route takes no object of an organisation."""
        if self.body_ref:
            return ("acme", "globex")
        params = [p for p in self.params if p != "code"]
        if not params:
            return ("none",)
        if len(params) == 2 and not self.action:
            return ("acme", "globex", "mixed")
        return ("acme", "globex")

    def door_gated(self, role: str) -> bool:
        """The wrong side of the house, turned away before any lookup: contacts in the console, staff in the
        extranet."""
        if self.door != "page":
            return False
        if self.path.startswith("console/"):
            return role in CUSTOMERS
        return self.path.startswith("extranet/") and role not in CUSTOMERS

    def expected(self, role: str, variant: str) -> str:
        if role in SIGNED_OUT:
            return LOGIN
        own = self.own[role]
        if self.door_gated(role):
            return own
        if variant in ("none", "acme"):
            return own
        if variant == "globex":
            return own if role not in CUSTOMERS else NOT_FOUND  # staff see every organisation
        return NOT_FOUND  # mixed: the quote or file is not the ticket's


def routes() -> list[Route]:
    out = []
    for door, table in (("api", API), ("page", PAGES)):
        for key, row in table.items():
            method, _, rest = key.partition(" ")
            path, _, action = rest.partition(" [")
            codes = row.split()
            assert len(codes) == len(COLUMNS), f"{key}: {len(codes)} columns"
            out.append(Route(door, method, path, action.rstrip("]"), dict(zip(COLUMNS, codes, strict=True))))
    return out


# ------------------------------------------------------------------------------------ the objects


def _held_mail(n: int, sender, mark: str):
    """A mail of ``sender`` held for an agent (its From failed DMARC), as the receiver stores one."""
    from django.core.files.base import ContentFile

    from guichet.channels.models import InboundMail

    raw = (
        f"From: <{sender.email}>\r\nTo: support@guichet.example\r\nSubject: Held {mark}\r\n"
        f"Message-ID: <held.{n}@example.com>\r\n\r\nHeld mail {mark}\r\n"
    ).encode()
    row = InboundMail(
        message_id=f"held.{n}@example.com",
        received_at=NOW,
        sender=sender.email,
        subject=f"Held {mark}",
        outcome=InboundMail.Outcome.HELD,
        reason=f"DMARC failed {mark}",
    )
    row.raw.save(f"held{n}.eml", ContentFile(raw), save=False)
    row.save()
    return row


def build(world) -> SimpleNamespace:
    """One of each object the routes take an id for, in Acme (the victim: Carla and Colin's organisation)
    and in Globex (the other one, every text marked GLOBEX). Each ticket is a request, routed to the
    support team: Alice's, not Bill's."""
    from guichet.availability.models import Outage
    from guichet.billing.models import Claim, Credit, Invoice, InvoiceLine
    from guichet.channels import chat
    from guichet.channels.mail.services import dead_letter
    from guichet.channels.models import OnCallRota, Page
    from guichet.customers.models import BackOfficeRequest
    from guichet.customers.services import backoffice_open
    from guichet.tickets import services
    from guichet.tickets.models import Quote
    from tests.contracts.factories import SubscriptionFactory

    world.org.name, world.other_org.name = f"Acme {ACME}", f"Globex {GLOBEX}"
    world.org.save(update_fields=["name"])
    world.other_org.save(update_fields=["name"])
    world.foreigner.first_name = f"Fred {GLOBEX}"
    world.foreigner.save(update_fields=["first_name"])
    world.colleague.contact.phone = "+352 621 000 001"
    world.colleague.contact.save()
    rota = OnCallRota.objects.create(team=world.noc)
    alice = world.agent

    def objects(n: int, org, requester, colleague, mark: str, chat_mark: str) -> SimpleNamespace:
        sub = SubscriptionFactory(organisation=org, identifier=f"+352 20 00 000{n} {mark}")
        ticket, ticket2 = (
            services.ticket_create(
                actor=requester,
                door="web",
                organisation=org,
                requester=requester,
                subject=f"{subject} {mark}",
                description=f"Nothing works {mark}",
                subscription=sub,
            )
            for subject in ("Line down at the office", "Second problem")
        )
        services.ticket_reply(actor=alice, door="web", ticket=ticket, body=f"We are on it {mark}")
        services.ticket_reply(
            actor=alice, door="web", ticket=ticket, body=f"{INTERNAL} {mark}", internal=True
        )
        attachment = services.ticket_attach(
            actor=requester, door="web", ticket=ticket, upload=SimpleUploadedFile("photo.txt", mark.encode())
        )
        internal_attachment = services.ticket_attach(
            actor=alice,
            door="web",
            ticket=ticket,
            upload=SimpleUploadedFile(f"{INTERNAL}.txt", f"{INTERNAL} {mark}".encode()),
            body=f"{INTERNAL} file",
            internal=True,
        )
        start, end = datetime(2026, 11, 10, 9, tzinfo=LU), datetime(2026, 11, 10, 11, tzinfo=LU)
        outage = Outage.objects.create(
            title=f"Outage {mark}", description=mark, started_at=start, ended_at=end, declared_by=alice
        )
        outage.subscriptions.add(sub)
        invoice = Invoice.objects.create(
            number=f"F-2026-00099{n}",
            organisation=org,
            year=2026,
            month=11,
            currency="EUR",
            billing_date=date(2026, 12, 1),
            issue_date=date(2026, 12, 1),
            due_date=date(2026, 12, 31),
            subtotal=Decimal("100.00"),
            vat_rate=Decimal("17.00"),
            vat_amount=Decimal("17.00"),
            total=Decimal("117.00"),
            issued_at=NOW,
            reason=f"Invoice {mark}",
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            position=1,
            description=f"SIP trunk {mark}",
            subscription=sub,
            first_day=date(2026, 11, 1),
            last_day=date(2026, 11, 30),
            amount=Decimal("100.00"),
        )
        return SimpleNamespace(
            org=org,
            requester=requester,
            colleague=colleague,
            contact=colleague.contact,
            sub=sub,
            ticket=ticket,
            ticket2=ticket2,
            attachment=attachment,
            internal_attachment=internal_attachment,
            quote=Quote.objects.create(
                ticket=ticket, amount=Decimal(150), description=f"Quote {mark}", sent_at=NOW, sent_by=alice
            ),
            page=Page.objects.create(ticket=ticket, rota=rota, reason=f"Emergency {mark}", created_at=NOW),
            outage=outage,
            claim=Claim.objects.create(
                organisation=org,
                subscription=sub,
                ticket=ticket,
                year=2026,
                month=11,
                customer_name=f"Claimant {mark}",
                customer_contact="claims@example.com",
                outage_start=start,
                outage_end=end,
                description=f"Claim {mark}",
                filed_by=requester,
                filed_at=NOW,
                door="web",
                verified_seconds=7200,
                proposed_amount=Decimal("5.00"),
                currency="EUR",
                computation=f"Computed {mark}",
            ),
            credit=Credit.objects.create(
                organisation=org,
                subscription=sub,
                kind="downtime",
                year=2026,
                month=10,
                amount=Decimal("5.00"),
                currency="EUR",
                explanation=f"Credit {mark}",
                created_at=NOW,
            ),
            invoice=invoice,
            conversation=chat.customer_send(requester, f"Hello {mark} {chat_mark}").conversation,
            backoffice=backoffice_open(
                organisation=org,
                kind=BackOfficeRequest.Kind.CONTACT,
                summary=f"Contact change {mark}",
                requested_by=requester,
                door="web",
            ),
            mail=_held_mail(n, requester, mark),
            letter=dead_letter(f"not a mail {mark}".encode(), None, f"unparseable {mark}"),
        )

    acme = objects(1, world.org, world.customer, world.colleague, ACME, CARLA_CHAT)
    globex = objects(2, world.other_org, world.foreigner, world.foreigner, GLOBEX, GLOBEX)
    return SimpleNamespace(acme=acme, globex=globex, staff=alice.pk)


# ----------------------------------------------------------------------------- what each route is sent

# Routes whose object is named in the body rather than the path.
BODY_REFS = {"POST /tickets", "POST /claims", "POST extranet/tickets/new", "POST extranet/claims/new"}
MULTIPART = {"POST /tickets/{ref}/attachments", "POST extranet/tickets/<str:ref>/attach"}


def _version(o) -> int:
    from guichet.tickets.models import Ticket

    return Ticket.objects.get(pk=o.ticket.pk).version


def _claim(ticket, datetimes: dict) -> dict:
    return {
        "customer_name": "Claimant",
        "customer_contact": "claims@example.com",
        **datetimes,
        "ticket": ticket.reference,
        "description": "The line was down",
    }


# key -> f(o, me, objs) -> body (POST, PATCH) or query string (GET); o: the variant's objects (Acme's for a
# route that takes none), me: the caller, objs: both organisations' objects. Nothing here holds a marker.
def _canned():
    from guichet.console.models import CannedReply

    return CannedReply.objects.get_or_create(title="Hello", defaults={"body": "Hello {{customer_name}}"})[0]


REQUESTS = {
    "POST /organisations": lambda o, me, objs: {"name": "Initech", "slug": "initech", "plan": "office"},
    "POST /organisations/{org_id}/contacts": lambda o, me, objs: {"email": "new.person@example.com"},
    # The other organisation's id in a list's filter: fishing, answered from the caller's scope.
    "GET /tickets": lambda o, me, objs: {"organisation_id": objs.globex.org.pk},
    "GET /subscriptions": lambda o, me, objs: {"organisation_id": objs.globex.org.pk},
    "GET /invoices": lambda o, me, objs: {"organisation_id": objs.globex.org.pk},
    "GET /outages": lambda o, me, objs: {"subscription_id": objs.globex.sub.pk},
    "GET /tickets/similar": lambda o, me, objs: {
        "subject": "Line down at the office",
        "organisation_id": objs.globex.org.pk,
    },
    # The organisation named with the caller's own subscription: a foreign organisation must be refused as a
    # missing one, without naming it.
    "POST /tickets": lambda o, me, objs: {
        "subject": "Printer on fire",
        "description": "It burns",
        "organisation_id": o.org.pk,
        "subscription_id": objs.acme.sub.pk,
        **({"requester_id": o.requester.pk} if me.is_provider_staff else {}),
    },
    "PATCH /tickets/{ref}": lambda o, me, objs: {"version": _version(o), "priority": "urgent"},
    "PATCH /tickets/{ref} [assign]": lambda o, me, objs: {"version": _version(o), "assignee_id": objs.staff},
    "POST /tickets/{ref}/replies": lambda o, me, objs: {"body": "hello"},
    "POST /tickets/{ref}/notes": lambda o, me, objs: {"body": "hello"},
    "POST /tickets/{ref}/intervention": lambda o, me, objs: {},
    "POST /tickets/{ref}/merge": lambda o, me, objs: {"into": o.ticket2.reference},
    "POST /tickets/{ref}/attachments": lambda o, me, objs: {"body": "a photo"},
    "POST /tickets/{ref}/attachments [internal]": lambda o, me, objs: {"body": "a photo", "internal": "true"},
    "POST /tickets/{ref}/watchers": lambda o, me, objs: {"user_id": o.colleague.pk},
    "POST /tickets/{ref}/watchers/remove": lambda o, me, objs: {"user_id": o.colleague.pk},
    "POST /tickets/{ref}/quotes": lambda o, me, objs: {"amount": "10.00"},
    "GET /calls/caller": lambda o, me, objs: {"number": "+352 621 000 001"},
    "POST /calls": lambda o, me, objs: {
        "number": "+352 691 999 999",
        "duration_seconds": 60,
        "summary": "Called about the line",
        "subject": "Call",
        "requester_id": o.requester.pk,
    },
    "POST /subscriptions": lambda o, me, objs: {
        "organisation_id": o.org.pk,
        "service": "sip-trunk",
        "identifier": "+352 20 99 9999",
        "monthly_fee": "10.00",
        "start_date": "2026-12-01",
    },
    "POST /subscriptions/{subscription_id}/milestones": lambda o, me, objs: {"kind": "survey"},
    "POST /subscriptions/{subscription_id}/suspend": lambda o, me, objs: {"reason": "loss"},
    "POST /subscriptions/{subscription_id}/fees": lambda o, me, objs: {
        "monthly_fee": "1.00",
        "effective_on": "2026-12-01",
    },
    "GET /subscriptions/{subscription_id}/availability": lambda o, me, objs: {"year": 2026, "month": 11},
    "POST /subscriptions/{subscription_id}/measurements": lambda o, me, objs: {
        "metric": "latency",
        "year": 2026,
        "month": 11,
        "value": 1,
    },
    "GET /subscriptions/{subscription_id}/quality": lambda o, me, objs: {"year": 2026, "month": 11},
    "POST /outages": lambda o, me, objs: {
        "subscription_ids": [o.sub.pk],
        "started_at": "2026-12-01T08:00:00+01:00",
        "title": "Down",
    },
    "POST /outages/{outage_id}/end": lambda o, me, objs: {"ended_at": "2026-11-10T12:00:00+01:00"},
    "POST /outages/alertmanager": lambda o, me, objs: {"alerts": []},
    "POST /claims": lambda o, me, objs: {
        "subscription_id": o.sub.pk,
        **_claim(
            o.ticket2,
            {"outage_start": "2026-11-10T09:00:00+01:00", "outage_end": "2026-11-10T10:00:00+01:00"},
        ),
    },
    "POST /claims/{claim_id}/decision": lambda o, me, objs: {"decision": "approve"},
    "POST /invoices/{invoice_id}/credit-notes": lambda o, me, objs: {"reason": "A mistake"},
    "POST /billing-runs": lambda o, me, objs: {"year": 2026, "month": 11},
    # pages
    "POST extranet/tickets/new": lambda o, me, objs: {
        "subject": "Printer on fire",
        "description": "It burns",
        "subscription_id": o.sub.pk,
    },
    "GET extranet/tickets/similar": lambda o, me, objs: {"subject": "Line down at the office"},
    "POST extranet/tickets/<str:ref>/reply": lambda o, me, objs: {"body": "hello"},
    "POST extranet/tickets/<str:ref>/not-solved": lambda o, me, objs: {"reason": "Still down"},
    "POST extranet/tickets/<str:ref>/quotes/<int:pk>": lambda o, me, objs: {"decision": "accept"},
    "POST extranet/services/<int:pk>/suspend": lambda o, me, objs: {"reason": "loss"},
    "POST extranet/claims/new": lambda o, me, objs: {
        "subscription_id": o.sub.pk,
        **_claim(o.ticket2, {"outage_start": "2026-11-10T09:00", "outage_end": "2026-11-10T10:00"}),
    },
    "POST extranet/contacts/": lambda o, me, objs: {"email": "new.person@example.com", "roles": "technical"},
    "POST extranet/contacts/<int:pk>/": lambda o, me, objs: {
        "roles": ["technical"],
        "phone": "+352 621 000 009",
        "is_active": "1",
    },
    "POST extranet/chat/": lambda o, me, objs: {"body": "hello"},
    "GET console/": lambda o, me, objs: {"organisation": objs.globex.org.pk},
    "GET console/search/": lambda o, me, objs: {"q": o.ticket.reference},
    "POST console/views": lambda o, me, objs: {"name": "Mine", "query": "mine=1"},
    "POST console/tickets/<str:ref>/reply": lambda o, me, objs: {"body": "hello"},
    "POST console/bulk": lambda o, me, objs: {"ticket": [o.ticket.pk], "priority": "high"},
    "POST console/tickets/<str:ref>/macro": lambda o, me, objs: {"canned": _canned().pk, "body": "hello"},
    "GET console/tickets/<str:ref>/canned": lambda o, me, objs: {"id": _canned().pk},
    "GET console/tickets/<str:ref>/merge-targets": lambda o, me, objs: {"q": "GT"},
    "POST console/tickets/<str:ref>/change": lambda o, me, objs: {"priority": "high"},
    "POST console/tickets/<str:ref>/merge": lambda o, me, objs: {"into": o.ticket2.reference},
    "POST console/tickets/<str:ref>/quote": lambda o, me, objs: {"amount": "10.00"},
    "POST console/claims/<int:pk>/decide": lambda o, me, objs: {"decision": "approve"},
    "POST console/chat/<int:pk>/reply": lambda o, me, objs: {"body": "hello"},
    "POST console/chat/<int:pk>/convert": lambda o, me, objs: {"subject": "From the chat"},
    "GET console/calls/": lambda o, me, objs: {"number": "+352 621 000 001"},
    "POST console/calls/log": lambda o, me, objs: {
        "number": "+352 691 999 999",
        "minutes": "1",
        "summary": "Called about the line",
        "requester_email": o.requester.email,
    },
    "POST console/outages/declare": lambda o, me, objs: {
        "services": o.sub.identifier,
        "cause": "incident",
        "title": "Down",
        "started_at": "2026-12-01T08:00",
    },
    "POST console/outages/<int:pk>/update": lambda o, me, objs: {
        "title": "Down",
        "services": o.sub.identifier,
    },
    "POST console/outages/<int:pk>/end": lambda o, me, objs: {"ended_at": "2026-11-10T12:00"},
    "POST console/mail/<int:pk>/ticket": lambda o, me, objs: {"requester": o.requester.email},
    "POST console/mail/<int:pk>/reply": lambda o, me, objs: {"ticket": o.ticket.reference},
    "POST console/mail/<int:pk>/drop": lambda o, me, objs: {"reason": "Spam"},
}

# What a page's <int:pk> is, by the route's start.
PAGE_PK = (
    ("extranet/tickets/", "quote"),
    ("extranet/services/", "sub"),
    ("extranet/invoices/", "invoice"),
    ("extranet/contacts/", "contact"),
    ("extranet/chat/", "conversation"),
    ("console/backoffice/", "backoffice"),
    ("console/claims/", "claim"),
    ("console/chat/", "conversation"),
    ("console/outages/", "outage"),
    ("console/oncall/pages/", "page"),
    ("console/mail/", "mail"),
    ("console/dead-letters/", "letter"),
)
API_PARAM = {
    "ref": "ticket",
    "org_id": "org",
    "attachment_id": "attachment",
    "quote_id": "quote",
    "page_id": "page",
    "subscription_id": "sub",
    "outage_id": "outage",
    "claim_id": "claim",
    "invoice_id": "invoice",
}


def _value(route: Route, param: str, parent, child):
    if param == "code":
        return "office"
    if param == "ref":
        return parent.ticket.reference
    if route.door == "api":
        name = API_PARAM[param]
        if name == "attachment" and route.action == "internal":
            name = "internal_attachment"
    else:
        name = next(name for prefix, name in PAGE_PK if route.path.startswith(prefix))
    return getattr(child, name).pk


def url(route: Route, parent, child) -> str:
    pattern = r"\{(\w+)\}" if route.door == "api" else r"<(?:\w+:)?(\w+)>"
    path = re.sub(pattern, lambda m: str(_value(route, m.group(1), parent, child)), route.path)
    return f"/api/v1{path}" if route.door == "api" else f"/{path}"


# ----------------------------------------------------------------------------------- the callers


class Caller:
    """One role: a bearer token for the API, a signed-in session for the pages (none for anonymous)."""

    def __init__(self, role: str, user):
        from guichet.customers.tokens import token_create

        self.role, self.user = role, user
        self.api = Client(raise_request_exception=False)
        self.pages = Client(raise_request_exception=False)
        self.headers = {}
        if user is not None:
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)[1]}"}
            self.pages.force_login(user)
        if role == "deactivated":
            self.api.force_login(user)  # the still-open session, beside the token

    def send(self, route: Route, target: str, data: dict):
        """GET with a query string; POST a form (pages, uploads) or JSON (the API); PATCH JSON."""
        if f"{route.method} {route.path}" in MULTIPART:
            data = {**data, "file": SimpleUploadedFile("note.txt", b"hello")}
        if route.door == "page":
            return self.pages.get(target, data) if route.method == "GET" else self.pages.post(target, data)
        if route.method == "GET":
            return self.api.get(target, data, **self.headers)
        if f"{route.method} {route.path}" in MULTIPART:
            return self.api.post(target, data, **self.headers)
        send = self.api.patch if route.method == "PATCH" else self.api.post
        return send(target, data, content_type="application/json", **self.headers)


def deactivated_contact(world):
    """Dana: Acme's admin and billing contact, with every right a contact can have, until deactivated."""
    from tests.customers.factories import ContactFactory

    return ContactFactory(
        organisation=world.org, user__username="dana", roles=["admin", "billing", "technical"]
    ).user


def callers(world) -> list[Caller]:
    from guichet.customers.services import contact_update

    dana = deactivated_contact(world)
    users = {
        "anonymous": None,
        "customer_admin": world.customer,
        "customer_contact": world.colleague,
        "agent": world.agent,
        "supervisor": world.supervisor,
        "billing": world.billing_agent,
        "admin": world.admin,
        "deactivated": dana,
    }
    made = [Caller(role, users[role]) for role in ROLES]
    # Deactivated once her token and sessions exist: they must all stop working at once.
    contact_update(actor=world.customer, door="web", contact=dana.contact, is_active=False)
    return made


# ----------------------------------------------------------------------------------- the verdicts


def outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return "5xx"
    if status == 401:
        return LOGIN
    if status in (301, 302) and response["Location"].startswith(resolve_url(settings.LOGIN_URL)):
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status in (405, 410):
        return str(status)
    return OK


def forbidden_markers(role: str) -> tuple[str, ...]:
    if role in SIGNED_OUT:
        return (ACME, GLOBEX, INTERNAL, CARLA_CHAT)
    if role == "customer_admin":
        return (GLOBEX, INTERNAL)
    if role == "customer_contact":
        return (GLOBEX, INTERNAL, CARLA_CHAT)
    return ()


@dataclass
class Result:
    requests: int = 0
    leaks: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # every request and its answer, for MATRIX_VERBOSE=1

    def report(self) -> str:
        lines = [f"authorization matrix: {self.requests} requests, {len(self.leaks)} leaks"]
        lines += [f"  LEAK {line}" for line in self.leaks]
        lines += [f"  mismatch {line}" for line in self.mismatches]
        lines.append(f"{len(self.mismatches)} mismatches; cells to decide (the code's rule is encoded):")
        lines += [f"  ? {key}: {why}" for key, why in QUESTIONS.items()]
        return "\n".join(lines)


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        # Reading it to the end closes it, as the test client arranges (closing it again would fire
        # request_finished and close the database connection: the test's transaction with it).
        return b"".join(response.streaming_content)
    return response.content


def run(world, selected: list[Route]) -> Result:
    """Every route x role x variant, each request in a transaction rolled back afterwards: every request
    meets the same objects, whatever the ones before it did."""
    from guichet.tickets.selectors import fingerprints

    objs = build(world)
    result = Result()
    for caller in callers(world):
        for route in selected:
            for variant in route.variants:
                parent = objs.globex if variant == "globex" else objs.acme
                child = objs.globex if variant in ("globex", "mixed") else objs.acme
                make = REQUESTS.get(route.key)
                me = caller.user or world.customer
                with transaction.atomic():
                    data = make(parent, me, objs) if make else {}
                    response = caller.send(route, url(route, parent, child), data)
                    content = _body(response)
                    transaction.set_rollback(True)
                fingerprints.clear()  # ids of rolled-back tickets come again
                result.requests += 1
                judge(result, route, caller.role, variant, response, content)
    return result


def judge(result: Result, route: Route, role: str, variant: str, response, content: bytes) -> None:
    expected, got, status = route.expected(role, variant), outcome(response), response.status_code
    where = f"{route.door:4} {route.key:58} {role:16} {variant:6}"
    result.answers.append(f"{where} {status} {content[:150]!r}")
    if got == "5xx":
        result.leaks.append(f"{where} answered {status}")
        return
    for marker in forbidden_markers(role):
        if marker.encode() in content:
            result.leaks.append(f"{where} answered {status} with {marker} in the body")
    if expected in REFUSALS and got == OK and status < 400:
        result.leaks.append(f"{where} expected {expected}, answered {status}")
        return
    refused_like_missing = expected == NOT_FOUND and route.body_ref and status in (400, 422)
    if got != expected and not refused_like_missing:
        result.mismatches.append(f"{where} expected {expected}, answered {status} ({got})")
