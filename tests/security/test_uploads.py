"""Uploads are judged by their content, not their name, through every door — the API (tests/api/
test_attachments.py), the extranet's attach form and inbound mail: an executable renamed .pdf is refused, an
HTML page named .png is kept as the text it is; every file is served as a download (Content-Disposition:
attachment) that the browser may not sniff (X-Content-Type-Options: nosniff)."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guichet.channels.mail.services import receive
from guichet.channels.models import Mailbox
from guichet.tickets.models import Attachment

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
ELF = b"\x7fELF\x02\x01\x01" + bytes(64)


@pytest.fixture
def carla(world):
    client = Client()
    client.force_login(world.customer)
    return client


def download(client, attachment):
    response = client.get(f"/api/v1/tickets/{attachment.ticket.reference}/attachments/{attachment.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    return response


@pytest.mark.parametrize(("name", "content"), [("invoice.pdf", EXE), ("photo.png", ELF), ("notes.txt", EXE)])
def test_the_extranet_refuses_a_program_whatever_its_name(world, ticket, carla, name, content):
    response = carla.post(
        f"/extranet/tickets/{ticket.reference}/attach",
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )
    assert b"This type of file is not accepted" in response.content
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("name", "content"), [("screen.png", HTML), ("logo.png", SVG), ("page.html", HTML)])
def test_the_extranet_keeps_markup_as_text_served_as_a_download(world, ticket, carla, name, content):
    carla.post(f"/extranet/tickets/{ticket.reference}/attach", {"file": SimpleUploadedFile(name, content)})
    attachment = Attachment.objects.get()
    assert attachment.content_type == "text/plain"  # from the content: never text/html, never image/png
    response = download(carla, attachment)
    assert response["Content-Type"].startswith("text/plain")


def test_the_api_keeps_an_html_page_named_png_as_text(world, ticket, as_user):
    api = as_user(world.customer)
    response = api.client.post(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        {"file": SimpleUploadedFile("x.png", HTML, content_type="image/png")},
        **api._h(),
    )
    assert response.status_code == 201 and response.json()["content_type"] == "text/plain"


def mail_with(*files) -> bytes:
    parts = "".join(
        f'--b\r\nContent-Type: {ctype}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(data).decode()}\r\n"
        for name, ctype, data in files
    )
    return (
        "From: Carla <carla@example.com>\r\nTo: support@guichet.example\r\nSubject: Files\r\n"
        "Message-ID: <files-1@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the files.\r\n"
        f"{parts}--b--\r\n"
    ).encode()


def test_mail_attachments_are_judged_by_their_content_too(world, carla):
    box = Mailbox.objects.create(name="Support", address="support@guichet.example")
    raw = mail_with(
        ("invoice.pdf", "application/pdf", EXE),  # a program, said to be a PDF by its name and its type
        ("screen.png", "image/png", HTML),  # a page, said to be a picture
    )
    mail = receive(raw, mailbox=box)
    ticket = mail.ticket
    kept = list(ticket.attachments.values_list("filename", "content_type"))
    assert kept == [("screen.png", "text/plain")]
    # Named in the customer's own message (issue 13: one mail, one message), not in a message of its own.
    [message] = ticket.messages.all()
    assert "[Attachment invoice.pdf not kept: This type of file is not accepted" in message.body
    response = download(carla, ticket.attachments.get())
    assert response["Content-Type"].startswith("text/plain")
