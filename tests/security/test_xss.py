"""Stored (and reflected) XSS: hostile text in tickets — opened through the API, the extranet's form and an
HTML mail — in replies, in a contact's name and in attachment names is shown as text on every page that
shows it, never as markup. Pages are parsed, not searched: the payloads do appear, escaped."""

import base64
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guichet.channels.mail.services import receive
from guichet.channels.models import InboundMail, Mailbox
from guichet.tickets.models import Ticket

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATTACHMENT = "<img src=x onerror=alert(1)>.pdf"
PDF = b"%PDF-1.7\n" + b"0" * 100


class Markup(HTMLParser):
    """What a browser would run from a page: inline scripts, event-handler attributes, javascript: URLs,
    and any <img src=x> a payload would have made."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction", "hx-get", "hx-post"} and (value or "").replace(
                " ", ""
            ).lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")
        if tag == "script":
            self._in_script = not dict(attrs).get("src")
            if self._in_script:
                self.found.append("<script> inline")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def active_markup(html: str) -> list[str]:
    parser = Markup()
    parser.feed(html)
    parser.close()
    return parser.found


def mail_from_carla() -> bytes:
    pdf = base64.b64encode(PDF).decode()
    return (
        "From: Carla <carla@example.com>\r\n"
        "To: support@guichet.example\r\n"
        f"Subject: Mail {SCRIPT}\r\n"
        "Message-ID: <xss-1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><body><p>Hello {SCRIPT}<img src=x onerror=alert(1)>"
        '<a href="javascript:alert(1)">click</a><svg onload=alert(1)></svg>'
        f'<iframe src="javascript:alert(1)"></iframe>{IMG}</p></body></html>\r\n'
        "--b\r\n"
        f'Content-Type: application/pdf; name="{ATTACHMENT}"\r\n'
        f'Content-Disposition: attachment; filename="{ATTACHMENT}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{pdf}\r\n"
        "--b\r\n"
        'Content-Type: application/octet-stream; name="<svg onload=alert(1)>.exe"\r\n'
        'Content-Disposition: attachment; filename="<svg onload=alert(1)>.exe"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(b'MZ' + bytes(100)).decode()}\r\n"
        "--b--\r\n"
    ).encode()


@pytest.fixture
def hostile(world, as_user):
    """Tickets full of payloads, through every door; returns their references."""
    world.customer.first_name, world.customer.last_name = SCRIPT, IMG
    world.customer.save()
    carla = as_user(world.customer)
    api_ref = carla.post("/tickets", {"subject": f"API {SCRIPT}", "description": IMG}).json()["reference"]
    carla.post(f"/tickets/{api_ref}/replies", {"body": f"Reply {SCRIPT} {IMG}"})
    upload = SimpleUploadedFile(ATTACHMENT, PDF)
    assert (
        carla.client.post(
            f"/api/v1/tickets/{api_ref}/attachments", {"file": upload, "body": IMG}, **carla._h()
        ).status_code
        == 201
    )

    web = Client()
    web.force_login(world.customer)
    form = web.post("/extranet/tickets/new", {"subject": f"Web {IMG}", "description": SCRIPT})
    assert form.status_code == 302, form.content
    web_ref = Ticket.objects.get(subject=f"Web {IMG}").reference
    web.post(f"/extranet/tickets/{web_ref}/attach", {"file": SimpleUploadedFile(ATTACHMENT, PDF)})
    web.post(f"/extranet/tickets/{web_ref}/reply", {"body": f"{SCRIPT}{IMG}"})

    box = Mailbox.objects.create(name="Support", address="support@guichet.example")
    mail = receive(mail_from_carla(), mailbox=box)
    assert mail.ticket is not None, mail.reason
    mail_ticket = mail.ticket
    # The same mail from a stranger: in triage, read in the console's held mail.
    stranger = (
        mail_from_carla().replace(b"carla@example.com", b"eve@unknown.example").replace(b"xss-1@", b"xss-2@")
    )
    assert receive(stranger, mailbox=box).outcome == InboundMail.Outcome.TRIAGE
    assert mail_ticket.attachments.count() == 1  # the .exe is refused, its name said in a message
    return {"api": api_ref, "web": web_ref, "mail": mail_ticket.reference}


def pages_of(world, refs):
    customer = [
        "/extranet/",
        "/extranet/tickets/",
        "/extranet/tickets/?show=closed",
        "/extranet/activity/",
        "/extranet/contacts/",
        f"/extranet/tickets/similar?subject=API+{SCRIPT}&description={IMG}",
        *(f"/extranet/tickets/{ref}/" for ref in refs.values()),
    ]
    staff = [
        "/console/",
        "/console/dashboard/",
        "/console/backoffice/",
        "/console/mail/",
        *(f"/console/mail/{pk}/" for pk in InboundMail.objects.values_list("pk", flat=True)),
        *(f"/console/tickets/{ref}/" for ref in refs.values()),
    ]
    return [(world.customer, customer), (world.supervisor, staff)]


def test_hostile_text_is_shown_escaped_on_every_page(world, hostile):
    shown = 0
    for user, urls in pages_of(world, hostile):
        client = Client()
        client.force_login(user)
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200, url
            html = page.content.decode()
            assert active_markup(html) == [], url
            assert SCRIPT not in html and "onerror=alert(1)>" not in html, url
            shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert shown >= 8  # the payloads are there, as text


def test_the_ticket_pages_show_each_payload_as_text(world, hostile):
    client = Client()
    client.force_login(world.customer)
    api = client.get(f"/extranet/tickets/{hostile['api']}/").content.decode()
    assert "API &lt;script&gt;alert(1)&lt;/script&gt;" in api
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in api
    # The attachment's name lost its markup characters when it was stored.
    assert "_img src_x onerror_alert_1_.pdf" in api
    mail = client.get(f"/extranet/tickets/{hostile['mail']}/").content.decode()
    assert "Mail &lt;script&gt;alert(1)&lt;/script&gt;" in mail
    assert "javascript:" not in mail  # nh3 dropped the link's target with the rest of the markup
    assert "not kept" in mail and "&lt;svg onload=alert(1)&gt;.exe" in mail


def test_answers_of_the_api_are_json_never_html(world, hostile, as_user):
    carla = as_user(world.customer)
    response = carla.get(f"/tickets/{hostile['api']}")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["subject"] == f"API {SCRIPT}"  # data, kept as written
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_detector_finds_what_a_browser_would_run():
    assert active_markup(f"<p>{SCRIPT}</p>") == ["<script> inline"]
    assert len(active_markup(f"<p>{IMG}</p>")) == 2  # onerror and the <img src=x>
    assert active_markup('<a href=" JavaScript:alert(1)">x</a>') != []
    assert active_markup("<p>&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img onerror=x&gt;</p>") == []


@pytest.mark.parametrize("path", ["/accounts/login/", "/extranet/tickets/", "/console/", "/api/v1/tickets"])
def test_every_answer_forbids_scripts_that_are_not_our_own_files(world, path):
    client = Client()
    client.force_login(world.supervisor if path == "/console/" else world.customer)
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
