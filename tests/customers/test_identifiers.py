"""An address or a phone number identifies one person: a contact cannot be given a staff member's or another
organisation's contact's address, nor another contact's number (mail, WhatsApp and the phone would then put
one person's messages to another organisation). And an organisation always keeps an admin contact."""

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
    assert "phone: " in response.content.decode() and "another contact" in response.content.decode()
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
