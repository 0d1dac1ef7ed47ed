"""One's own profile (/account/), for contacts and staff alike: name, language, time zone and, for a contact,
the number the NOC calls; a new password with the current one asked first. Every change goes through
``customers.services`` and into the audit trail; a refusal names the field and saves nothing."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django_tasks_db.models import DBTaskResult

from guichet.audit.models import AuditEvent
from guichet.customers import services
from guichet.customers.models import BackOfficeRequest, Contact, User
from tests.helpers import signed_in

PROFILE = "/account/"
PASSWORD = "/account/password/"


def profile_of(user, **changes) -> dict:
    """The profile form as the page sends it, with ``changes``."""
    user.refresh_from_db()
    values = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "time_zone": user.time_zone,
    }
    if not user.is_provider_staff:
        values["phone"] = user.contact.phone
    return {**values, **changes}


def test_the_header_of_every_signed_in_page_links_to_the_profile(world):
    for user, page in ((world.customer, "/extranet/"), (world.agent, "/console/")):
        assert f'href="{PROFILE}"' in signed_in(user).get(page).text


def test_a_contact_sees_their_profile_with_its_current_values(world):
    User.objects.filter(pk=world.customer.pk).update(
        first_name="Carla", last_name="Rossi", language="fr", time_zone="Europe/Luxembourg"
    )
    Contact.objects.filter(user=world.customer).update(phone="+352 621 000 001")
    page = signed_in(world.customer).get(PROFILE)
    assert page.status_code == 200
    text = page.text
    assert 'value="Carla"' in text and 'value="Rossi"' in text and 'value="+352 621 000 001"' in text
    assert '<option value="fr" selected>' in text
    assert '<option value="Europe/Luxembourg" selected>' in text
    assert "Acme" in text  # the organisation, read-only


def test_a_contact_changes_name_language_zone_and_phone(world):
    carla = signed_in(world.customer)
    answer = carla.post(
        PROFILE,
        profile_of(
            world.customer,
            first_name=" Carla ",
            last_name="Rossi",
            language="fr",
            time_zone="Europe/Paris",
            phone="+352 621 999 888",
        ),
    )
    assert answer.status_code == 302 and answer["Location"] == PROFILE
    user = User.objects.get(pk=world.customer.pk)
    assert (user.first_name, user.last_name, user.language, user.time_zone) == (
        "Carla",
        "Rossi",
        "fr",
        "Europe/Paris",
    )
    contact = Contact.objects.get(user=user)
    assert contact.phone == "+352 621 999 888" and contact.phone_digits == "352621999888"
    event = AuditEvent.objects.get(action="profile.changed")
    assert event.actor_id == user.pk and event.door == "web" and not event.internal
    assert event.organisation_id == world.org.pk
    assert event.changes == {
        "first_name": "Carla",
        "last_name": "Rossi",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "phone": "+352 621 999 888",
    }
    # The NOC's lists: a new number goes to the back office, as when the admin contact changes it.
    assert "phone → +352 621 999 888" in BackOfficeRequest.objects.get(organisation=world.org).summary
    # A new name: the person's tickets are indexed again for search.
    assert DBTaskResult.objects.filter(task_path__endswith="search_reindex").count() == 1
    # The next page is in the language chosen, and says it was saved.
    page = carla.get(PROFILE).text
    assert '<html lang="fr">' in page and "Votre profil a été enregistré." in page


def test_an_agent_changes_their_profile_which_has_no_phone(world):
    alice = signed_in(world.agent)
    page = alice.get(PROFILE).text
    assert 'name="phone"' not in page and "Not chosen: my browser&#x27;s language</option>" in page
    answer = alice.post(
        PROFILE, profile_of(world.agent, first_name="Alice", language="", time_zone="America/Toronto")
    )
    assert answer.status_code == 302
    user = User.objects.get(pk=world.agent.pk)
    assert (user.first_name, user.language, user.time_zone) == ("Alice", "", "America/Toronto")
    event = AuditEvent.objects.get(action="profile.changed")
    assert event.internal and event.organisation_id is None
    assert event.changes == {"first_name": "Alice", "time_zone": "America/Toronto"}
    assert BackOfficeRequest.objects.count() == 0


def test_an_unknown_time_zone_is_refused_naming_the_field_and_nothing_is_saved(world):
    answer = signed_in(world.customer).post(
        PROFILE, profile_of(world.customer, first_name="Carla", time_zone="Mars/Olympus_Mons")
    )
    assert answer.status_code == 400
    assert "<li>Time zone: Select a valid choice." in answer.text
    assert 'aria-invalid="true"' in answer.text
    user = User.objects.get(pk=world.customer.pk)
    assert user.first_name == "" and user.time_zone == "UTC"
    assert not AuditEvent.objects.filter(action="profile.changed").exists()


def test_a_number_another_contact_has_is_refused_naming_the_field_and_nothing_is_saved(world):
    Contact.objects.filter(user=world.foreigner).update(phone="+352 621 000 777", phone_digits="352621000777")
    answer = signed_in(world.customer).post(
        PROFILE, profile_of(world.customer, first_name="Carla", phone="00352 621 000 777")
    )
    assert answer.status_code == 400
    assert "<li>Phone number the NOC may call: This number is already another contact" in answer.text
    assert User.objects.get(pk=world.customer.pk).first_name == ""
    assert Contact.objects.get(user=world.customer).phone == ""
    assert not AuditEvent.objects.filter(action="profile.changed").exists()
    assert BackOfficeRequest.objects.count() == 0


def test_the_service_checks_what_the_page_cannot_and_changes_only_ones_own_profile(world):
    with pytest.raises(ValidationError) as refused:
        services.profile_update(
            actor=world.agent,
            door="web",
            user=world.agent,
            first_name="",
            last_name="",
            language="de",
            time_zone="Mars/Olympus_Mons",
        )
    assert set(refused.value.message_dict) == {"language", "time_zone"}
    with pytest.raises(PermissionDenied):
        services.profile_update(
            actor=world.supervisor,
            door="web",
            user=world.agent,
            first_name="Mallory",
            last_name="",
            language="",
            time_zone="UTC",
        )
    assert User.objects.get(pk=world.agent.pk).first_name == ""


def test_an_unchanged_profile_writes_nothing(world):
    answer = signed_in(world.customer).post(PROFILE, profile_of(world.customer))
    assert answer.status_code == 302
    assert not AuditEvent.objects.filter(action="profile.changed").exists()


def test_the_profile_page_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    carla, alice = signed_in(world.customer), signed_in(world.agent)
    with django_assert_max_num_queries(2):  # the session; the user with its contact and organisation
        assert carla.get(PROFILE).status_code == 200
    with django_assert_max_num_queries(2):  # the session; the user
        assert alice.get(PROFILE).status_code == 200


def test_a_wrong_current_password_is_refused(world):
    carla = signed_in(world.customer)
    answer = carla.post(
        PASSWORD, {"old_password": "wrong", "new_password1": "tram-lines-7", "new_password2": "tram-lines-7"}
    )
    assert answer.status_code == 400 and "<li>Current password: " in answer.text
    assert User.objects.get(pk=world.customer.pk).check_password("pw")
    assert not AuditEvent.objects.filter(action="password.changed").exists()


def test_the_right_current_password_changes_it_and_the_session_stays_signed_in(world):
    carla = signed_in(world.customer)
    elsewhere = signed_in(world.customer)  # the same person, in another browser
    answer = carla.post(
        PASSWORD, {"old_password": "pw", "new_password1": "tram-lines-7", "new_password2": "tram-lines-7"}
    )
    assert answer.status_code == 302 and answer["Location"] == PROFILE
    assert User.objects.get(pk=world.customer.pk).check_password("tram-lines-7")
    assert "Your password is changed." in carla.get(PROFILE).text  # still signed in
    assert elsewhere.get(PROFILE).status_code == 302  # the login's other sessions end
    event = AuditEvent.objects.get(action="password.changed")
    assert event.actor_id == world.customer.pk and event.organisation_id == world.org.pk
    assert "tram-lines-7" not in json.dumps(event.changes) and "pw" not in json.dumps(event.changes)
    assert Client().login(username="carla", password="tram-lines-7")


def test_a_weak_new_password_is_refused_naming_the_field(world):
    answer = signed_in(world.agent).post(
        PASSWORD, {"old_password": "pw", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert answer.status_code == 400 and "This password is entirely numeric." in answer.text
    assert User.objects.get(pk=world.agent.pk).check_password("pw")


def test_signed_out_the_profile_asks_to_sign_in(world):
    assert Client().get(PROFILE)["Location"].startswith("/accounts/login/")
    assert Client().get(PASSWORD)["Location"].startswith("/accounts/login/")
