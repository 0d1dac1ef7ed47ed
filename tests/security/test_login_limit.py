"""Login brute force is limited: 5 failed sign-ins for one username, or 20 from one address, within 15
minutes, and sign-ins are refused with 429 — even with the right password — until the window passes. The
count is in the database, so every process and machine shares it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client

from guichet.customers import signin
from guichet.customers.models import SignInFailure

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def sign_in(username, password, ip="192.0.2.10", client=None, **extra):
    client = client or Client()
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def signed_in(response):
    return response.status_code == 302


def test_five_wrong_passwords_then_the_right_one_is_refused_with_429(world):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            response = sign_in("carla", "wrong")
            assert response.status_code == 200 and b"did not match" in response.content
        client = Client()
        refused = sign_in("carla", "pw", client=client)
        assert refused.status_code == 429
        assert (
            b"Too many failed sign-ins" in refused.content and b"Try again in 15 minutes" in refused.content
        )
        assert refused["Retry-After"] == str(15 * 60)
        assert client.get("/api/v1/me").status_code == 401  # not signed in
        # Other usernames are not affected, from the same address or another.
        assert signed_in(sign_in("colin", "pw"))
        assert signed_in(sign_in("alice", "pw", ip="198.51.100.1"))
        # The username is counted however it is typed.
        assert sign_in(" CARLA ", "pw").status_code == 429


def test_the_refusal_speaks_the_readers_language(world):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            sign_in("carla", "wrong")
        refused = sign_in("carla", "pw", HTTP_ACCEPT_LANGUAGE="fr")
        assert refused.status_code == 429
        said = "Trop de connexions échouées pour ce compte ou depuis cette adresse."
        assert f"{said} Réessayez dans 15 minutes." in refused.text


def test_the_lock_lifts_when_the_window_has_passed(world):
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(5):
            sign_in("carla", "wrong")
            traveller.shift(timedelta(seconds=30))
        # The first failure leaves the window 15 minutes after it was made, two minutes and a half from now.
        traveller.shift(timedelta(minutes=12))
        refused = sign_in("carla", "pw")
        assert refused.status_code == 429 and refused["Retry-After"] == "30"
        assert b"Try again in 1 minute." in refused.content
        traveller.shift(timedelta(seconds=30))
        assert signed_in(sign_in("carla", "pw"))


def test_refused_attempts_do_not_extend_the_lock(world):
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(5):
            sign_in("carla", "wrong")
        for _ in range(10):
            traveller.shift(timedelta(minutes=1))
            assert sign_in("carla", "wrong").status_code == 429
        traveller.shift(timedelta(minutes=5, seconds=1))
        assert signed_in(sign_in("carla", "pw"))


def test_a_success_forgets_the_usernames_failures(world):
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            sign_in("carla", "wrong")
        assert signed_in(sign_in("carla", "pw"))
        for _ in range(4):
            sign_in("carla", "wrong")
        assert signed_in(sign_in("carla", "pw"))
        assert not SignInFailure.objects.filter(username="carla").exists()


def test_twenty_failures_from_one_address_lock_that_address_only(world):
    with time_machine.travel(T0, tick=False):
        for i in range(20):
            sign_in(f"nobody{i}", "guess", ip="203.0.113.66")  # 20 usernames, one failure each
        refused = sign_in("carla", "pw", ip="203.0.113.66")
        assert refused.status_code == 429 and b"Too many failed sign-ins" in refused.content
        assert signed_in(sign_in("carla", "pw", ip="203.0.113.67"))


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw_not_one_the_client_wrote(world, settings):
    settings.GUICHET_TRUSTED_PROXIES = 1
    with time_machine.travel(T0, tick=False):
        for i in range(20):
            # The attacker writes a new X-Forwarded-For each time; the proxy appends the real address.
            sign_in(f"nobody{i}", "guess", ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.18.0.{i}, 203.0.113.66")
        assert sign_in("carla", "pw", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 429
        # Someone else behind the same proxy is not locked out.
        assert signed_in(sign_in("carla", "pw", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.99"))


def test_the_count_is_shared_through_the_database(world):
    """Failures recorded by another process or machine (rows in the database) lock the sign-in here."""
    with time_machine.travel(T0, tick=False):
        SignInFailure.objects.bulk_create(
            SignInFailure(username="carla", ip_address="198.51.100.7", at=T0 - timedelta(minutes=m))
            for m in range(5)
        )
        assert sign_in("carla", "pw").status_code == 429
        assert signin.refusal(None, "carla").retry_after == 11 * 60  # the oldest, 4 minutes ago


def test_every_password_door_is_behind_the_limit(world):
    with time_machine.travel(T0, tick=False):
        root = world.admin
        root.is_staff = root.is_superuser = True
        root.save()
        for _ in range(5):
            sign_in("root", "wrong")
        # The admin's own sign-in page refuses too, with the message.
        admin = Client()
        page = admin.post(
            "/admin/login/?next=/admin/", {"username": "root", "password": "pw"}, REMOTE_ADDR="192.0.2.10"
        )
        assert page.status_code == 429 and b"Too many failed sign-ins" in page.content
        assert page["Retry-After"] == str(15 * 60)
        assert admin.get("/admin/").status_code == 302  # still not signed in
        # And so does any code calling authenticate() (the backend refuses, whatever the password).
        assert authenticate(username="root", password="pw") is None
        assert not Client().login(username="root", password="pw")


def test_a_browser_that_signed_in_before_is_not_locked_out_by_someone_guessing(world, settings):
    """Device cookies: guessing carla's password from elsewhere locks out the guessers, not carla's browser;
    that browser has its own count, and its cookie is worth nothing for another username."""
    with time_machine.travel(T0, tick=False) as traveller:
        desk = Client()
        assert signed_in(sign_in("carla", "pw", client=desk))
        cookie = desk.cookies[settings.GUICHET_LOGIN_DEVICE_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) == 180 * 86400
        desk.post("/accounts/logout/")
        traveller.shift(timedelta(hours=2))
        for i in range(25):  # one address, then many: both the username and an address locked
            sign_in("carla", "guess", ip="203.0.113.66" if i < 20 else f"198.51.100.{i}")
        assert sign_in("carla", "pw").status_code == 429  # a browser without the cookie
        assert sign_in("carla", "pw", ip="203.0.113.66").status_code == 429
        # carla at her desk, even behind the attacker's address, signs in with her password.
        assert signed_in(sign_in("carla", "pw", ip="203.0.113.66", client=desk))
        desk.post("/accounts/logout/")
        # Her browser's own failures lock that browser only, after as many as for a username.
        for _ in range(5):
            assert sign_in("carla", "typo", client=desk).status_code == 200
        assert sign_in("carla", "pw", client=desk).status_code == 429
        # The cookie names carla: for colin it is a browser like any other.
        for _ in range(5):
            sign_in("colin", "guess")
        assert sign_in("colin", "pw", client=desk).status_code == 429
        # A forged or altered cookie is no cookie.
        forged = Client()
        forged.cookies[settings.GUICHET_LOGIN_DEVICE_COOKIE] = cookie.value[:-2] + "xx"
        assert sign_in("carla", "pw", client=forged).status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert signed_in(sign_in("carla", "pw", client=desk))


def test_the_admins_sign_in_page_gives_a_device_cookie_too(world, settings):
    root = world.admin
    root.is_staff = root.is_superuser = True
    root.save()
    with time_machine.travel(T0, tick=False):
        desk = Client()
        page = desk.post(
            "/admin/login/?next=/admin/", {"username": "root", "password": "pw"}, REMOTE_ADDR="192.0.2.10"
        )
        assert page.status_code == 302 and settings.GUICHET_LOGIN_DEVICE_COOKIE in desk.cookies
        desk.post("/accounts/logout/")
        for _ in range(5):
            sign_in("root", "guess")
        assert sign_in("root", "pw").status_code == 429
        assert signed_in(sign_in("root", "pw", client=desk))


def test_a_device_cookie_expires(world, settings):
    with time_machine.travel(T0, tick=False) as traveller:
        desk = Client()
        assert signed_in(sign_in("carla", "pw", client=desk))
        desk.post("/accounts/logout/")
        traveller.shift(timedelta(days=181))
        for _ in range(5):
            sign_in("carla", "guess")
        assert sign_in("carla", "pw", client=desk).status_code == 429


def test_failed_sign_ins_are_listed_for_admins(world):
    with time_machine.travel(T0, tick=False):
        sign_in("carla", "wrong", ip="203.0.113.5")
    root = world.admin
    root.is_staff = root.is_superuser = True
    root.save()
    admin = Client()
    admin.force_login(root)
    listing = admin.get("/admin/customers/signinfailure/")
    assert listing.status_code == 200 and "carla" in listing.text and "203.0.113.5" in listing.text


def test_failures_older_than_the_retention_are_forgotten(world, settings):
    settings.GUICHET_LOGIN_FAILURE_RETENTION_DAYS = 14
    with time_machine.travel(T0, tick=False) as traveller:
        sign_in("carla", "wrong")
        traveller.shift(timedelta(days=15))
        sign_in("colin", "wrong")
    assert list(SignInFailure.objects.values_list("username", flat=True)) == ["colin"]


def test_the_api_has_no_password_sign_in_to_brute_force(client):
    """Bearer tokens are 256 random bits; the session comes from the sign-in page. No operation of the API
    takes a password."""
    schema = client.get("/api/openapi.json").json()
    inputs = [
        p["name"] for ops in schema["paths"].values() for op in ops.values() for p in op.get("parameters", [])
    ]
    inputs += [name for s in schema["components"]["schemas"].values() for name in s.get("properties", {})]
    assert inputs and not [name for name in inputs if "password" in name.lower()]
