"""An address or a phone number identifies one person: a contact cannot be given a staff member's or another
organisation's contact's address, nor another contact's number (mail, WhatsApp and the phone would then put
one person's messages to another organisation). And an organisation always keeps an admin contact."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from guichet.customers import services
from guichet.customers.models import Contact


@pytest.fixture
def fred_phone(world):
    fred = world.foreigner.contact
    fred.phone = "+49 170 555 0101"
    fred.save()
    return fred


def _fields(response) -> set:
    return {e["field"] for e in response.json()["detail"]}


@pytest.mark.parametrize("taken", ["alice@example.com", "FRED@Example.com", "root@example.com"])
def test_a_contact_cannot_take_the_address_of_staff_or_of_another_organisations_contact(
    world, as_user, taken
):
    carla = as_user(world.customer)
    response = carla.post(f"/organisations/{world.org.pk}/contacts", {"email": taken})
    assert response.status_code == 422 and _fields(response) == {"email"}
    assert Contact.objects.count() == 3  # nothing written


def test_a_contact_cannot_take_another_organisations_contacts_number(world, as_user, fred_phone):
    carla = as_user(world.customer)
    body = {"email": "nina@example.com", "phone": "0049 170 5550101"}  # the same digits, written otherwise
    response = carla.post(f"/organisations/{world.org.pk}/contacts", body)
    assert response.status_code == 422 and _fields(response) == {"phone"}
    assert not Contact.objects.filter(user__email="nina@example.com").exists()
    free = carla.post(f"/organisations/{world.org.pk}/contacts", {**body, "phone": "+352 621 999 000"})
    assert free.status_code == 201


def test_a_contacts_number_cannot_be_changed_to_another_contacts(world, fred_phone):
    colin = world.colleague.contact
    with pytest.raises(ValidationError) as refused:
        services.contact_update(actor=world.customer, door="web", contact=colin, phone="+49 170 555 0101")
    assert set(refused.value.message_dict) == {"phone"}
    colin.refresh_from_db()
    assert colin.phone == ""


def test_the_contacts_page_shows_the_taken_number_as_an_error_of_the_form(world, fred_phone):
    page = Client()
    page.force_login(world.customer)
    colin = world.colleague.contact
    response = page.post(
        f"/extranet/contacts/{colin.pk}/",
        {"roles": ["technical"], "phone": "+49 170 555 0101", "is_active": "1"},
        follow=True,
    )
    text = response.content.decode()
    assert "Phone: " in text and "another contact" in text
    assert "phone: " not in text  # the field by its label, not its code
    colin.refresh_from_db()
    assert colin.phone == ""


def test_the_last_admin_contact_cannot_drop_its_admin_role(world):
    page = Client()
    page.force_login(world.customer)
    carla = world.customer.contact
    response = page.post(
        f"/extranet/contacts/{carla.pk}/",
        {"roles": ["technical"], "phone": "", "is_active": "1"},
        follow=True,
    )
    assert "last admin contact" in response.content.decode()
    carla.refresh_from_db()
    assert "admin" in carla.roles


def test_the_last_admin_contact_cannot_be_removed_by_anyone(world):
    carla = world.customer.contact
    for change in ({"roles": ["technical"]}, {"is_active": False}):
        with pytest.raises(ValidationError) as refused:
            services.contact_update(actor=world.supervisor, door="web", contact=carla, **change)
        assert set(refused.value.message_dict) == set(change)
    carla.refresh_from_db()
    assert carla.is_active and "admin" in carla.roles


def test_an_admin_role_may_go_once_another_contact_holds_one(world):
    colin, carla = world.colleague.contact, world.customer.contact
    services.contact_update(actor=world.customer, door="web", contact=colin, roles=["admin"])
    services.contact_update(actor=world.customer, door="web", contact=carla, roles=["technical"])
    carla.refresh_from_db()
    assert carla.roles == ["technical"]


def test_the_admin_refuses_a_taken_address_or_number_too(world, fred_phone):
    """The Django admin is a door like the others: a staff admin cannot give a login another's address, nor a
    contact another contact's number, by mistake."""
    from django.urls import reverse

    admin = Client()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    admin.force_login(world.admin)
    colin = world.colleague
    page = admin.get(reverse("admin:customers_user_change", args=[colin.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update({"email": "FRED@example.com", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data["groups"], data["user_permissions"] = [], []
    answer = admin.post(reverse("admin:customers_user_change", args=[colin.pk]), data)
    assert answer.status_code == 200 and "email" in answer.context["adminform"].form.errors
    colin.refresh_from_db()
    assert colin.email != "FRED@example.com"

    acme = world.org
    contacts = list(acme.contacts.order_by("pk"))
    data = {
        "name": acme.name,
        "slug": acme.slug,
        "is_active": "on",
        "contacts-TOTAL_FORMS": str(len(contacts)),
        "contacts-INITIAL_FORMS": str(len(contacts)),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for i, c in enumerate(contacts):
        data.update(
            {
                f"contacts-{i}-id": str(c.pk),
                f"contacts-{i}-organisation": str(acme.pk),
                f"contacts-{i}-user": str(c.user_id),
                f"contacts-{i}-roles": json.dumps(c.roles),
                f"contacts-{i}-phone": "+49 170 555 0101" if c.user_id == colin.pk else c.phone,
                f"contacts-{i}-is_active": "on" if c.is_active else "",
            }
        )
    answer = admin.post(reverse("admin:customers_organisation_change", args=[acme.pk]), data)
    assert answer.status_code == 200, answer.get("Location")
    assert "another contact" in answer.content.decode()  # the inline row shows the refusal
    colin.contact.refresh_from_db()
    assert colin.contact.phone == ""
