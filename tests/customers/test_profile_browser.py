"""A contact's profile in a real browser (Debian's Chromium, Playwright): the language switcher with the
keyboard, then a new password, the session kept."""

import pytest
from playwright.sync_api import expect

from guichet.customers.models import User
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test writes


def test_a_contact_switches_to_french_and_changes_their_password(world, signed_in):
    carla = signed_in(world.customer)
    expect(carla.locator("html")).to_have_attribute("lang", "en")
    switcher = carla.get_by_role("group", name="Language")
    switcher.get_by_role("button", name="Français").focus()
    carla.keyboard.press("Enter")
    expect(carla.locator("html")).to_have_attribute("lang", "fr")
    assert carla.url.endswith("/extranet/")  # the page it was on
    expect(carla.get_by_role("button", name="Français")).to_have_attribute("aria-current", "true")
    assert User.objects.get(pk=world.customer.pk).language == "fr"

    carla.get_by_role("link", name="Profil").click()
    expect(carla.get_by_role("heading", name="Votre profil")).to_be_visible()
    expect(carla.locator("#id_language")).to_have_value("fr")
    carla.get_by_role("link", name="Changer votre mot de passe").click()
    carla.get_by_label("Mot de passe actuel").fill("pw")
    carla.get_by_label("Nouveau mot de passe", exact=True).fill("tram-lines-7")
    carla.get_by_label("Confirmation du nouveau mot de passe").fill("tram-lines-7")
    carla.get_by_role("button", name="Changer le mot de passe").click()
    expect(carla.get_by_role("status")).to_have_text("Votre mot de passe a été modifié.")
    screenshot(carla, "profile-password-changed-fr")

    # Still signed in; the next sign-in takes the new password.
    carla.goto("/extranet/")
    expect(carla.get_by_role("heading", level=1)).to_be_visible()
    carla.get_by_role("button", name="Se déconnecter").click()
    carla.goto("/accounts/login/")
    expect(carla.get_by_role("button", name="Français")).to_have_attribute("aria-current", "true")
    screenshot(carla, "sign-in-fr")
    carla.get_by_label("Identifiant").fill("carla")
    carla.get_by_label("Mot de passe").fill("tram-lines-7")
    carla.get_by_role("button", name="Se connecter").click()
    expect(carla.locator("html")).to_have_attribute("lang", "fr")
    assert "/extranet/" in carla.url
