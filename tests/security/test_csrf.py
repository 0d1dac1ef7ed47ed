"""CSRF on every form: each URL of the extranet, the console, the sign-in pages, the admin, one's profile and
the language switcher, taken from the URL resolver, refuses a POST without a token (403) from a signed-in
user; with the token of the page, forms work. The API refuses a state-changing call on a session without
the token; a bearer token needs none."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

AREAS = ("extranet/", "console/", "accounts/", "admin/", "account/", "i18n/")
# The only view that takes POSTs without a CSRF token: Meta's webhook, checked by its HMAC signature instead.
EXEMPT = {"channels/whatsapp/webhook"}


def routes(patterns=None, prefix=""):
    """Every route of the project as text (``extranet/tickets/<str:ref>/``), with its view."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def concrete(route: str, ref: str) -> str:
    """A URL of the route: a real ticket reference for ``ref``, 1 for numbers, "x" for the rest."""
    if isinstance(route, str) and route.startswith("admin/") and "^" in route:
        route = "admin/customers/"  # the admin's app index, its one regex route (the catch-all redirects)
    route = route.replace("<str:ref>", ref)
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", route)


def csrf_token(client, url):
    page = client.get(url)
    assert page.status_code == 200, url
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()


@pytest.fixture
def clients(world):
    root = world.admin
    root.is_staff = root.is_superuser = True
    root.save()
    made = {}
    for area, user in {"extranet/": world.customer, "console/": world.supervisor, "admin/": root}.items():
        made[area] = Client(enforce_csrf_checks=True)
        made[area].force_login(user)
    made["accounts/"] = Client(enforce_csrf_checks=True)  # the sign-in pages are for visitors
    made["i18n/"] = Client(enforce_csrf_checks=True)  # the language switcher: visitors too
    made["account/"] = Client(enforce_csrf_checks=True)  # one's own profile
    made["account/"].force_login(world.customer)
    return made


def test_every_post_without_a_token_is_refused(world, ticket, clients):
    checked = dict.fromkeys(AREAS, 0)
    for route, pattern in routes():
        if getattr(pattern.callback, "csrf_exempt", False):
            # ninja exempts its views from Django's check and makes its own (the last test below).
            assert route in EXEMPT or route.startswith("api/v1/"), route
        area = next((a for a in AREAS if route.startswith(a)), None)
        if area is None:
            continue
        if not isinstance(pattern.pattern, RoutePattern) and route.endswith("(?P<url>.*)$"):
            continue  # the admin's catch-all: a redirect to a URL with a slash, checked through the others
        url = concrete(route, ticket.reference)
        response = clients[area].post(
            url, {"body": "x", "subject": "x", "username": "carla", "password": "pw"}
        )
        assert response.status_code == 403, (url, response.status_code)
        assert b"CSRF" in response.content, url
        checked[area] += 1
    print("CSRF checked:", checked)  # the figures of docs/security.md
    assert checked["extranet/"] >= 25 and checked["console/"] >= 20 and checked["accounts/"] >= 6
    assert checked["admin/"] >= 150
    assert checked["account/"] == 2 and checked["i18n/"] == 1


def test_with_the_token_of_the_page_the_forms_work(world, ticket):
    carla = Client(enforce_csrf_checks=True)
    carla.force_login(world.customer)
    token = csrf_token(carla, f"/extranet/tickets/{ticket.reference}/")
    answer = carla.post(
        f"/extranet/tickets/{ticket.reference}/reply", {"body": "More details", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302 and ticket.messages.filter(body="More details").exists()

    sue = Client(enforce_csrf_checks=True)
    sue.force_login(world.supervisor)
    token = csrf_token(sue, f"/console/tickets/{ticket.reference}/")
    answer = sue.post(
        f"/console/tickets/{ticket.reference}/reply", {"body": "On it", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302 and ticket.messages.filter(body="On it").exists()

    visitor = Client(enforce_csrf_checks=True)
    token = csrf_token(visitor, "/accounts/login/")
    signed = visitor.post(
        "/accounts/login/", {"username": "carla", "password": "pw", "csrfmiddlewaretoken": token}
    )
    assert signed.status_code == 302
    # The logout is a form too: without the token the session stays.
    assert visitor.post("/accounts/logout/").status_code == 403
    assert visitor.get("/api/v1/me").status_code == 200


def test_the_api_on_a_session_needs_the_token_and_on_a_bearer_token_does_not(world, as_user):
    body = {"subject": "From the page", "description": "x"}
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.customer)
    assert browser.get("/api/v1/me").status_code == 200  # reading needs no token
    refused = browser.post("/api/v1/tickets", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = csrf_token(browser, "/extranet/tickets/new")
    accepted = browser.post("/api/v1/tickets", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201

    carla = as_user(world.customer)
    carla.client = Client(enforce_csrf_checks=True)
    assert carla.post("/tickets", body).status_code == 201
