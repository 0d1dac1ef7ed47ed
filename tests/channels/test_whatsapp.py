"""WhatsApp: the webhook's handshake and signature, messages into tickets, replies out through the Graph
API (a local HTTP server stands in for Meta's, at the HTTP boundary)."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.test import Client

from guichet.audit.models import AuditEvent
from guichet.channels.models import WhatsAppMessage
from guichet.tickets import services as tickets
from guichet.tickets.models import Ticket

SECRET = "app-secret-for-tests"
URL = "/channels/whatsapp/webhook"


@pytest.fixture(autouse=True)
def whatsapp_settings(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
    settings.WHATSAPP_ACCESS_TOKEN = "token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "1055"


@pytest.fixture
def carla(world):
    world.use_plan("saas-support")  # policy 001 includes WhatsApp
    contact = world.customer.contact
    contact.phone = "+352 621 123 456"
    contact.save()
    return contact


def event(*messages, name="Carla"):
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "contacts": [{"wa_id": "352621123456", "profile": {"name": name}}],
                                "messages": list(messages),
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def text(wamid, body, sender="352621123456", context=None):
    m = {"from": sender, "id": wamid, "timestamp": "1796036400", "type": "text", "text": {"body": body}}
    if context:
        m["context"] = {"from": "15550001055", "id": context}
    return m


def post(body, secret=SECRET, signature=None):
    sig = signature or "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(URL, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sig)


def test_the_handshake_echoes_the_challenge_only_for_our_verify_token(db):
    ok = Client().get(URL, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"})
    assert (ok.status_code, ok.content) == (200, b"42")
    bad = Client().get(URL, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"})
    assert bad.status_code == 403


def test_unsigned_or_forged_calls_are_refused_and_change_nothing(carla):
    body = event(text("wamid.1", "Line down"))
    assert Client().post(URL, body, content_type="application/json").status_code == 403
    assert post(body, secret="not-our-secret").status_code == 403
    tampered = body.replace(b"Line down", b"Give me the admin password")
    assert post(tampered, signature=_sig(body)).status_code == 403  # the signature of the original body
    assert Ticket.objects.count() == 0 and WhatsAppMessage.objects.count() == 0


def _sig(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_a_contacts_message_opens_a_ticket_and_the_next_one_joins_it(carla, world):
    assert post(event(text("wamid.1", "Our SIP trunk is down\nsince 9:00"))).status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester, ticket.subject) == (
        "whatsapp",
        world.customer,
        "Our SIP trunk is down",
    )
    assert post(event(text("wamid.2", "Still down"))).status_code == 200
    assert Ticket.objects.count() == 1 and ticket.messages.count() == 2


def test_each_message_is_one_ticket_message_with_its_whatsapp_id_and_one_event(carla):
    post(event(text("wamid.1", "Line down")))
    post(event(text("wamid.2", "Still down")))
    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("external_id", flat=True)) == ["wamid.1", "wamid.2"]
    assert [m.ticket_message for m in WhatsAppMessage.objects.order_by("pk")] == list(ticket.messages.all())
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "ticket.created",
        "ticket.replied",
    ]


def test_a_message_delivered_twice_is_stored_once(carla):
    body = event(text("wamid.1", "Line down"))
    assert post(body).status_code == 200 and post(body).status_code == 200
    assert WhatsAppMessage.objects.count() == 1 and Ticket.objects.get().messages.count() == 1


def test_an_unknown_number_is_held(carla):
    post(event(text("wamid.9", "Hello", sender="33612345678")))
    row = WhatsAppMessage.objects.get()
    assert (
        row.outcome == "held" and "unknown number +33612345678" in row.reason and Ticket.objects.count() == 0
    )


def test_a_plan_without_whatsapp_holds_the_message_with_the_reason(carla, world):
    world.use_plan("office")
    post(event(text("wamid.1", "Line down")))
    row = WhatsAppMessage.objects.get()
    assert row.outcome == "held" and "does not include support by WhatsApp" in row.reason


class Graph(BaseHTTPRequestHandler):
    """Meta's Graph API as far as sending a text goes: records the request, answers with a wamid."""

    requests: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Graph.requests.append((self.path, self.headers["Authorization"], body))
        answer = json.dumps({"messages": [{"id": f"wamid.out{len(Graph.requests)}"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.mark.django_db(transaction=True)
def test_a_staff_reply_goes_back_by_whatsapp_and_the_answer_to_it_joins_the_ticket(carla, world, settings):
    server = HTTPServer(("127.0.0.1", 0), Graph)
    Graph.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WHATSAPP_API_URL = f"http://127.0.0.1:{server.server_port}/v21.0"
    try:
        post(event(text("wamid.1", "Line down")))
        ticket = Ticket.objects.get()
        tickets.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="Restarting it now.")
        call_command("worker", batch=True, no_scheduler=True, interval=0)
        call_command("worker", batch=True, no_scheduler=True, interval=0)  # a second run sends nothing
    finally:
        server.shutdown()
    [(path, auth, body)] = Graph.requests
    assert path == "/v21.0/1055/messages" and auth == "Bearer token"
    assert body["to"] == "352621123456" and body["text"]["body"] == f"[{ticket.reference}] Restarting it now."
    # Carla answers that very message (days later, another ticket open since): it joins this ticket.
    post(event(text("wamid.3", "Works now, thanks", context="wamid.out1")))
    assert WhatsAppMessage.objects.get(wamid="wamid.3").ticket == ticket


def test_phone_numbers_are_compared_by_their_digits():
    from guichet.customers.models import phone_digits

    assert phone_digits("+352 621-12 34 56") == phone_digits("00352 621123456") == "352621123456"
