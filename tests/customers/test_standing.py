"""Only while they may: a contact deactivated by its organisation loses every door at once — its open
session, its API tokens, signing in, and every scoped read — through one check (``selectors.may_act``)."""

import pytest
from django.test import Client

from guichet.billing.selectors import claims_visible_to
from guichet.contracts.selectors import subscriptions_visible_to
from guichet.customers import services
from guichet.customers.selectors import acting_contact, may_act
from guichet.customers.tokens import token_authenticate, token_create
from guichet.tickets import services as tickets
from guichet.tickets.selectors import similar_open_tickets, tickets_visible_to
from tests.contracts.factories import SubscriptionFactory


@pytest.fixture
def colin(world):
    """Colin, a contact of Acme, with a ticket, a service, an open session and an API token."""
    colin = world.colleague
    colin.set_password("pw-colin-1234")
    colin.save()
    SubscriptionFactory(organisation=world.org)
    tickets.ticket_create(
        actor=colin,
        door="api",
        organisation=world.org,
        requester=colin,
        subject="Router down at the office",
        description="The router does not answer",
    )
    return colin


def _deactivate(world, user):
    services.contact_update(actor=world.customer, door="web", contact=user.contact, is_active=False)
    user.refresh_from_db()


def test_a_deactivated_contact_loses_its_session_its_tokens_and_sign_in_at_once(world, colin):
    session = Client()
    session.force_login(colin)
    _, token = token_create(user=colin)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert session.get("/extranet/tickets/").status_code == 200
    assert Client().get("/api/v1/tickets", **bearer).status_code == 200

    _deactivate(world, colin)

    page = session.get("/extranet/tickets/")
    assert (page.status_code, page["Location"].split("?")[0]) == (302, "/accounts/login/")
    assert session.get("/api/v1/tickets").status_code == 401  # the same session, through the API
    assert token_authenticate(token) is None
    for path in (
        "/api/v1/tickets",
        "/api/v1/claims",
        "/api/v1/subscriptions",
        "/api/v1/outages",
        "/api/v1/me",
    ):
        assert Client().get(path, **bearer).status_code == 401, path
    similar = Client().get("/api/v1/tickets/similar", {"subject": "Router down"}, **bearer)
    assert similar.status_code == 401
    claim = Client().post("/api/v1/claims", {}, content_type="application/json", **bearer)
    assert claim.status_code == 401
    signed_in = Client().post("/accounts/login/", {"username": colin.username, "password": "pw-colin-1234"})
    assert signed_in.status_code == 200 and "_auth_user_id" not in signed_in.client.session


def test_a_reactivated_contact_gets_its_doors_back(world, colin):
    _, token = token_create(user=colin)
    _deactivate(world, colin)
    services.contact_update(actor=world.customer, door="web", contact=colin.contact, is_active=True)
    assert token_authenticate(token).user == colin


def test_every_selector_gives_a_deactivated_contact_nothing(world, colin):
    """The doors refuse it first; the reads give it nothing even through a door that forgot to ask."""
    assert tickets_visible_to(colin).exists() and subscriptions_visible_to(colin).exists()
    _deactivate(world, colin)
    assert not may_act(colin) and acting_contact(colin) is None
    assert not tickets_visible_to(colin).exists()
    assert not subscriptions_visible_to(colin).exists()
    assert not claims_visible_to(colin).exists()
    assert similar_open_tickets(world.org.pk, "Router down", "", user=colin) == []
    assert may_act(world.customer) and tickets_visible_to(world.customer).exists()


def test_an_inactive_login_of_staff_may_not_act_either(world):
    world.agent.is_active = False
    world.agent.save()
    _, token = token_create(user=world.admin)
    assert not may_act(world.agent) and may_act(world.admin)
    assert token_authenticate(token) is not None


def test_a_deactivated_contact_gets_no_password_reset_link(world, colin):
    from django.core import mail

    from .test_password_reset import RESET, run_queued

    _deactivate(world, colin)
    assert Client().post(RESET, {"email": colin.email}).status_code == 302  # the same answer as for anyone
    run_queued()
    assert mail.outbox == []


def test_an_organisation_deactivated_by_the_provider_takes_every_door_from_its_contacts(world, colin):
    """The sibling of a contact's own deactivation: a former customer's contacts keep no session, token or
    sign-in, and their still-active colleagues of other organisations are untouched."""
    session = Client()
    session.force_login(colin)
    _, token = token_create(user=colin)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/tickets", **bearer).status_code == 200

    world.org.is_active = False
    world.org.save()
    colin.refresh_from_db()

    assert not may_act(colin) and acting_contact(colin) is None
    assert token_authenticate(token) is None
    assert Client().get("/api/v1/tickets", **bearer).status_code == 401
    page = session.get("/extranet/tickets/")
    assert (page.status_code, page["Location"].split("?")[0]) == (302, "/accounts/login/")
    assert not Client().login(username=colin.username, password="pw-colin-1234")
    assert may_act(world.foreigner)  # Globex's contacts go on
