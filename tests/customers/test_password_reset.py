"""Password reset by mail (guichet.customers.reset): how a new contact sets a first password, the link mailed
by a task whatever the address (the page answers the same for an unknown one), limited per address typed and
per client address."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.customers.models import PasswordResetRequest
from guichet.customers.services import contact_create
from guichet.customers.tasks import send_password_reset

RESET = "/accounts/password-reset/"


def queued() -> list[list]:
    """The arguments of the queued password reset mails, oldest first."""
    rows = DBTaskResult.objects.filter(task_path__endswith="send_password_reset").order_by("enqueued_at")
    return [row.args_kwargs["args"] for row in rows]


def run_queued() -> int:
    """Run the queued reset mails as a worker would; returns how many mails they sent."""
    return sum(send_password_reset.call(*args) for args in queued())


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)


@pytest.fixture
def nina(world):
    return contact_create(
        actor=world.customer,
        door="web",
        organisation=world.org,
        email="nina@acme.example",
        roles=["technical"],
    )


def test_a_new_contact_sets_a_password_by_mail_and_signs_in(nina):
    assert not nina.user.has_usable_password()
    client = Client()
    assert "First time here" in client.get("/accounts/login/").text
    asked = client.post(RESET, {"email": "Nina@Acme.example "})
    assert asked.status_code == 302 and asked["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []  # mailed by the worker, not while the page waits
    assert "a link to choose a password is on its way" in client.get(asked["Location"]).text
    assert run_queued() == 1
    [message] = mail.outbox
    assert message.to == ["nina@acme.example"] and message.subject == "Choose your Guichet password"
    assert message.extra_headers["Message-ID"].startswith("<password-reset.")
    form = client.get(link_in(message), follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.text
    short = client.post(form.redirect_chain[-1][0], {"new_password1": "abc", "new_password2": "abc"})
    assert short.status_code == 200 and 'aria-invalid="true"' in short.text  # the field said, nothing saved
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new pass 2026", "new_password2": "a long new pass 2026"},
    )
    assert done.status_code == 302
    assert "Your password is set" in client.get(done["Location"]).text
    signed = Client()
    assert (
        signed.post(
            "/accounts/login/", {"username": "nina@acme.example", "password": "a long new pass 2026"}
        ).status_code
        == 302
    )
    assert signed.get("/extranet/").status_code == 200
    # The link worked once.
    again = Client().get(link_in(message), follow=True)
    assert "This link does not work any more" in again.text and 'name="new_password1"' not in again.text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(nina):
    known = Client().post(RESET, {"email": "nina@acme.example"})
    unknown = Client().post(RESET, {"email": "nobody@acme.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(queued()) == 2  # the same work queued for both: the page cannot tell them apart
    assert run_queued() == 1
    assert [m.to for m in mail.outbox] == [["nina@acme.example"]]


def test_a_bad_address_is_refused_naming_the_field(db):
    answer = Client().post(RESET, {"email": "not an address"})
    assert answer.status_code == 200 and 'id="email-error"' in answer.text
    assert PasswordResetRequest.objects.count() == 0 and queued() == []


def test_one_address_gets_at_most_three_links_per_hour_and_the_page_does_not_say_so(nina, settings):
    assert settings.GUICHET_PASSWORD_RESET_MAX_PER_EMAIL == 3
    answers = [
        Client(REMOTE_ADDR=f"203.0.113.{i}").post(RESET, {"email": "nina@acme.example"}) for i in range(5)
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/accounts/password-reset/sent/")}
    assert len(queued()) == 3
    assert list(PasswordResetRequest.objects.order_by("at").values_list("mailed", flat=True)) == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert run_queued() == 3
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 3
    assert run_queued() == 0 and len(mail.outbox) == 3  # a task run again sends nothing again
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        Client().post(RESET, {"email": "nina@acme.example"})
        assert len(queued()) == 4  # the window has passed


def test_one_client_address_is_answered_429_after_ten_requests(nina, settings):
    assert settings.GUICHET_PASSWORD_RESET_MAX_PER_IP == 10
    spray = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(10):
        assert spray.post(RESET, {"email": f"someone{i}@example.com"}).status_code == 302
    refused = spray.post(RESET, {"email": "nina@acme.example"})
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many password reset requests from this address" in refused.text
    assert PasswordResetRequest.objects.count() == 10 and len(queued()) == 10  # the refused one: nothing
    assert Client(REMOTE_ADDR="198.51.100.8").post(RESET, {"email": "nina@acme.example"}).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert spray.post(RESET, {"email": "nina@acme.example"}).status_code == 302


def test_the_link_is_mailed_in_the_contacts_language_and_the_pages_speak_french(nina):
    nina.user.language = "fr"
    nina.user.save(update_fields=["language"])
    Client().post(RESET, {"email": "nina@acme.example"})
    run_queued()
    [message] = mail.outbox
    assert message.subject == "Choisissez votre mot de passe Guichet"
    assert message.body.startswith("Bonjour") and "/accounts/reset/" in message.body
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    assert "Choisir ou réinitialiser votre mot de passe" in french.get(RESET).text
    assert "Mot de passe" in french.get("/accounts/login/").text


def test_requests_older_than_a_day_are_forgotten(nina):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        Client().post(RESET, {"email": "nina@acme.example"})
    Client().post(RESET, {"email": "nina@acme.example"})
    assert PasswordResetRequest.objects.count() == 1
