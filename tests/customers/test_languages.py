"""Which language a page, a mail or a PDF is in: the person's own choice (their profile), else what their
browser asks for (pages only), else their organisation's, else the site's default; and the language switcher
of every page, which for a signed-in person also saves the choice to their profile."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from guichet.audit.models import AuditEvent
from guichet.customers.models import Organisation, User
from guichet.customers.services import contact_create
from guichet.customers.tasks import send_password_reset
from guichet.formats import reader_language
from tests.helpers import signed_in

SWITCH = "/i18n/setlang/"


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


def test_the_sign_in_page_has_the_switcher_and_it_sets_the_language_of_the_next_pages(db):
    browser = Client()
    page = browser.get("/accounts/login/").text
    assert f'action="{SWITCH}"' in page and 'name="next" value="/accounts/login/"' in page
    assert '<button type="submit" name="language" value="fr" lang="fr" class="link">Français</button>' in page
    assert 'value="en" lang="en" class="link" aria-current="true">English</button>' in page
    assert 'id="languages-label">Language</span>' in page  # the switcher's visible label
    answer = browser.post(SWITCH, {"language": "fr", "next": "/accounts/login/"})
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    page = browser.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").text  # the choice wins over the header
    assert lang(page) == "fr" and 'id="languages-label">Langue</span>' in page


def test_the_switcher_keeps_to_this_site(db):
    answer = Client().post(SWITCH, {"language": "fr", "next": "https://elsewhere.example/"})
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_a_signed_in_person_who_switches_keeps_the_choice_in_their_profile(world):
    carla = signed_in(world.customer)
    page = carla.get("/extranet/tickets/?q=trunk").text
    assert 'name="next" value="/extranet/tickets/?q=trunk"' in page
    answer = carla.post(SWITCH, {"language": "fr", "next": "/extranet/tickets/?q=trunk"})
    assert answer["Location"] == "/extranet/tickets/?q=trunk"
    assert User.objects.get(pk=world.customer.pk).language == "fr"  # their next sign-in and their mail
    event = AuditEvent.objects.get(action="profile.changed")
    assert event.changes == {"language": "fr"} and event.organisation_id == world.org.pk
    # Another browser, which says English: the profile wins.
    assert lang(signed_in(world.customer).get("/extranet/", HTTP_ACCEPT_LANGUAGE="en").text) == "fr"


def test_the_console_has_the_switcher_and_an_agent_keeps_the_choice_too(world):
    alice = signed_in(world.agent)
    assert f'action="{SWITCH}"' in alice.get("/console/").text
    alice.post(SWITCH, {"language": "fr", "next": "/console/"})
    assert User.objects.get(pk=world.agent.pk).language == "fr"
    assert AuditEvent.objects.get(action="profile.changed").internal


def test_an_error_page_has_the_switcher(world):
    assert f'action="{SWITCH}"' in Client().get("/extranet/no-such-page/").text
