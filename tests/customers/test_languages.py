"""Which language a page, a mail or a PDF is in: the person's own choice (their profile), else what their
browser asks for (pages only), else their organisation's, else the site's default."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from guichet.customers.models import Organisation, User
from guichet.customers.services import contact_create
from guichet.customers.tasks import send_password_reset
from guichet.formats import reader_language
from tests.helpers import signed_in


def lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.fixture
def french_org(world):
    Organisation.objects.filter(pk=world.org.pk).update(language="fr")
    world.org.refresh_from_db()
    return world.org


def test_a_chosen_language_wins_over_the_browser_and_the_organisation(world, french_org):
    User.objects.filter(pk=world.customer.pk).update(language="en")
    page = signed_in(world.customer).get("/extranet/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").text
    assert lang(page) == "en" and "Open tickets" in page


def test_without_a_choice_the_browser_wins_over_the_organisation(world, french_org):
    assert User.objects.get(pk=world.customer.pk).language == ""  # not chosen
    page = signed_in(world.customer).get("/extranet/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,fr;q=0.5").text
    assert lang(page) == "en"
    page = signed_in(world.customer).get("/extranet/", HTTP_ACCEPT_LANGUAGE="fr-BE").text
    assert lang(page) == "fr" and "Tickets ouverts" in page


def test_without_a_choice_nor_a_language_the_browser_names_the_organisations_is_read(world, french_org):
    carla = signed_in(world.customer)
    assert lang(carla.get("/extranet/").text) == "fr"  # no Accept-Language at all
    assert lang(carla.get("/extranet/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").text) == "fr"  # none we speak
    # Staff belong to no organisation: the site's default.
    assert lang(signed_in(world.agent).get("/console/").text) == settings.LANGUAGE_CODE


def test_the_sign_in_page_follows_the_browser(db):
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").text
    assert lang(page) == "fr" and "Identifiant" in page and "Se connecter" in page
    assert lang(Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").text) == "en"


def test_mail_has_no_browser_it_follows_the_profile_else_the_organisation(world, french_org):
    customer = User.objects.get(pk=world.customer.pk)  # with its contact and organisation, as read anew
    assert reader_language(customer) == "fr"
    assert reader_language(customer, browser="en") == "en"  # a page, with a browser
    customer.language = "en"
    assert reader_language(customer, browser="fr") == "en"
    assert reader_language(User.objects.get(pk=world.agent.pk)) == settings.LANGUAGE_CODE


def test_a_new_contact_who_chose_nothing_gets_mail_in_the_organisations_language(world, french_org):
    nina = contact_create(
        actor=world.customer, door="web", organisation=world.org, email="nina@acme.example", roles=["admin"]
    )
    assert nina.user.language == ""
    Client().post("/accounts/password-reset/", {"email": "nina@acme.example"})
    assert send_password_reset.call(*_queued_reset()) == 1
    [message] = mail.outbox
    assert message.subject == "Choisissez votre mot de passe Guichet"


def _queued_reset() -> list:
    return DBTaskResult.objects.get(task_path__endswith="send_password_reset").args_kwargs["args"]
