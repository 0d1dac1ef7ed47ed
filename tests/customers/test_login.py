"""Web login for everyone: staff land in the admin, customers on their API; /api/v1/me says who they are."""

import pytest

from .factories import ContactFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_customer_signs_in_and_the_api_knows_them_through_the_session(client):
    contact = ContactFactory(user__username="carla", roles=["admin"])
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b'<label for="id_username">' in page.content
    response = client.post("/accounts/login/", {"username": "carla", "password": "pw"})
    assert response.status_code == 302
    me = client.get("/api/v1/me").json()
    assert (me["username"], me["organisation_id"], me["roles"]) == (
        "carla",
        contact.organisation_id,
        ["admin"],
    )


def test_a_wrong_password_is_refused_with_a_message(client):
    ContactFactory(user__username="carla")
    response = client.post("/accounts/login/", {"username": "carla", "password": "nope"})
    assert response.status_code == 200 and b"did not match" in response.content
    assert client.get("/api/v1/me").status_code == 401


def test_staff_land_in_the_admin(client):
    StaffFactory(username="root", is_staff=True)
    client.post("/accounts/login/", {"username": "root", "password": "pw"})
    assert client.get("/", follow=False)["Location"] == "/admin/"
