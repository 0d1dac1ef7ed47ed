"""403 and 404 pages: the site's layout, the viewer's language, and the way to the right home (the extranet
for contacts, the console for staff, the sign-in page for anonymous visitors). And the navigation offers
each role only links it may follow."""

import re

import pytest
from django.test import Client

from guichet.customers.models import User
from tests.customers.factories import StaffFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def main_of(html: str) -> str:
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def test_a_contact_refused_a_console_page_gets_the_layout_and_the_way_to_the_extranet(world):
    page = signed_in(world.customer).get("/console/")
    assert page.status_code == 403
    html = page.text
    assert '<html lang="en">' in html and '<nav aria-label="Main">' in html
    assert "You may not open this page" in main_of(html)
    assert 'href="/extranet/"' in main_of(html)


def test_an_agent_refused_an_extranet_page_is_sent_to_the_console(world):
    page = signed_in(world.agent).get("/extranet/")
    assert page.status_code == 403
    assert 'href="/console/"' in main_of(page.text)


def test_a_page_not_found_has_the_layout_and_the_way_home(world):
    page = signed_in(world.customer).get("/extranet/tickets/GT-2026-999999/")
    assert page.status_code == 404
    assert "<h1>Page not found</h1>" in main_of(page.text)
    assert 'href="/extranet/"' in main_of(page.text)
    staff = signed_in(world.agent).get("/nowhere")
    assert staff.status_code == 404 and 'href="/console/"' in main_of(staff.text)


def test_an_anonymous_visitor_gets_a_sign_in_link_and_no_navigation(db):
    page = Client().get("/nowhere")
    assert page.status_code == 404
    assert "<nav" not in page.text and 'action="/accounts/logout/"' not in page.text
    assert 'href="/accounts/login/"' in main_of(page.text)


def test_the_error_pages_are_in_the_viewers_language(world):
    world.customer.language = "fr"
    world.customer.save()
    client = signed_in(world.customer)
    missing = client.get("/nowhere")
    assert '<html lang="fr">' in missing.text and "Page introuvable" in missing.text
    refused = client.get("/console/")
    assert "Vous ne pouvez pas ouvrir cette page" in refused.text
    assert "Aller à l'accueil de votre extranet" in refused.text


def test_a_missing_api_route_answers_json():
    answer = Client().get("/api/nowhere")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}


ROLES = ("customer", "colleague", "agent", "billing_agent", "supervisor", "admin", "account_manager")


@pytest.mark.parametrize("role", ROLES)
def test_every_link_of_the_navigation_opens_for_the_role_that_sees_it(world, role):
    """Each role's home page, its navigation's links followed with its session: none refused (the
    authorisation matrix, tests/security/matrix.py, says who may open what; the links must agree)."""
    if role == "account_manager":
        user = StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER)
    else:
        user = getattr(world, role)
    client = signed_in(user)
    home = "/console/" if user.is_provider_staff else "/extranet/"
    html = client.get(home).text
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', nav)
    assert len(links) >= 5
    refused = {link: client.get(link).status_code for link in links}
    assert {link: status for link, status in refused.items() if status != 200} == {}


def test_a_form_refused_by_the_csrf_check_gets_the_layout_and_the_way_home(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.customer)
    page = client.post("/extranet/tickets/new", {"subject": "x"})
    assert page.status_code == 403
    assert '<nav aria-label="Main">' in page.text
    assert "This form could not be sent" in main_of(page.text) and "CSRF" in main_of(page.text)
    assert 'href="/extranet/"' in main_of(page.text)
    world.customer.language = "fr"
    world.customer.save()
    assert "Ce formulaire n'a pas pu être envoyé" in client.post("/extranet/tickets/new").text
