"""A contact added by their organisation's admin contact sets a first password through a reset link."""

import re

from django.core import mail
from django.test import Client

from guichet.customers.services import contact_create


def test_a_new_contact_sets_a_password_by_mail_and_signs_in(world):
    contact = contact_create(
        actor=world.customer,
        door="web",
        organisation=world.org,
        email="nina@acme.example",
        roles=["technical"],
    )
    assert not contact.user.has_usable_password()
    client = Client()
    assert "First time here" in client.get("/accounts/login/").text
    assert client.post("/accounts/password-reset/", {"email": "nina@acme.example"}).status_code == 302
    [message] = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new pass 2026", "new_password2": "a long new pass 2026"},
    )
    assert done.status_code == 302
    signed = Client()
    assert (
        signed.post(
            "/accounts/login/", {"username": "nina@acme.example", "password": "a long new pass 2026"}
        ).status_code
        == 302
    )
    assert signed.get("/extranet/").status_code == 200
