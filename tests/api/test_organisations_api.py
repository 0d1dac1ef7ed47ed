"""Organisations, contacts and plans through the API, scoped per organisation."""

import pytest


def test_a_customer_sees_only_its_organisation(world, as_user):
    carla = as_user(world.customer)
    assert [o["name"] for o in carla.get("/organisations").json()] == ["Acme"]
    assert carla.get(f"/organisations/{world.org.pk}").json()["plan"] == "office"
    for path in (
        f"/organisations/{world.other_org.pk}",
        f"/organisations/{world.other_org.pk}/contacts",
        f"/organisations/{world.other_org.pk}/quota",
    ):
        assert carla.get(path).status_code == 404, path
    response = carla.post(f"/organisations/{world.other_org.pk}/contacts", {"email": "x@globex.example"})
    assert response.status_code == 404


def test_the_admin_contact_keeps_contacts_up_to_date_and_others_cannot(world, as_user):
    carla, colin = as_user(world.customer), as_user(world.colleague)  # carla has the admin role
    response = carla.post(
        f"/organisations/{world.org.pk}/contacts",
        {"email": "Noc@Acme.example", "first_name": "Nina", "roles": ["technical"], "language": "fr"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "noc@acme.example"
    emails = {c["email"] for c in carla.get(f"/organisations/{world.org.pk}/contacts").json()}
    assert "noc@acme.example" in emails
    assert (
        colin.post(f"/organisations/{world.org.pk}/contacts", {"email": "y@acme.example"}).status_code == 403
    )


def test_contact_validation_names_the_field(world, as_user):
    carla = as_user(world.customer)
    path = f"/organisations/{world.org.pk}/contacts"
    assert carla.post(path, {"email": "not-an-email"}).json()["detail"][0]["field"] == "email"
    response = carla.post(path, {"email": "z@acme.example", "roles": ["boss"]})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "roles"
    response = carla.post(path, {"email": "z@acme.example", "time_zone": "Mars/Base"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "time_zone"


@pytest.mark.parametrize(
    ("who", "status"), [("customer", 403), ("agent", 403), ("supervisor", 201), ("admin", 201)]
)
def test_only_managers_create_organisations(world, as_user, who, status):
    api = as_user(getattr(world, who))
    response = api.post("/organisations", {"name": "Initech", "slug": f"initech-{who}", "plan": "retail"})
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["plan"] == "retail"


def test_plans_are_published_with_their_targets(world, as_user):
    plans = {p["code"]: p for p in as_user(world.customer).get("/plans").json()}
    assert set(plans) == {"basic", "standard", "office", "retail", "enterprise", "advanced", "saas-support"}
    advanced = plans["advanced"]
    assert advanced["availability_guarantee"] == "99.950"
    assert advanced["fault_calendar"]["hours"] == "Mon-Sun 00:00-24:00"
    assert {(t["clock"], t["amount"]) for t in advanced["targets"]} == {
        ("first_response", "2.00"),
        ("intervention", "5.00"),
        ("resolution", "7.00"),
    }
    assert as_user(world.customer).get("/plans/nope").status_code == 404
