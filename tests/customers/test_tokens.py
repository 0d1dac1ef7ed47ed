"""API tokens: printed once by `guichet createtoken`, stored hashed, revocable."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from guichet.customers.models import ApiToken, User
from guichet.customers.tokens import token_authenticate, token_create, token_revoke

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_createtoken_prints_a_token_that_authenticates_its_user():
    user = UserFactory(username="carla")
    out = StringIO()
    call_command("createtoken", "carla", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("gt_")
    assert token_authenticate(token).user == user


def test_only_a_hash_of_the_token_is_stored():
    _, token = token_create(user=UserFactory())
    row = ApiToken.objects.get()
    assert token not in (row.digest, row.prefix, row.name)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()


def test_a_revoked_or_altered_token_no_longer_authenticates():
    row, token = token_create(user=UserFactory())
    assert token_authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    token_revoke(token=row)
    assert token_authenticate(token) is None


def test_an_inactive_users_token_does_not_authenticate():
    user = UserFactory()
    _, token = token_create(user=user)
    user.is_active = False
    user.save()
    assert token_authenticate(token) is None


def test_createtoken_for_an_unknown_user_fails_with_one_line():
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("createtoken", "ghost")


def test_only_admins_get_import_tokens():
    UserFactory(username="agent", kind=User.Kind.AGENT)
    with pytest.raises(CommandError, match="only an admin"):
        call_command("createtoken", "agent", "--import")
    UserFactory(username="boss", kind=User.Kind.ADMIN)
    out = StringIO()
    call_command("createtoken", "boss", "--import", stdout=out)
    assert ApiToken.objects.get(user__username="boss").can_import


def test_revoketoken_revokes_by_prefix():
    row, token = token_create(user=UserFactory())
    call_command("revoketoken", row.prefix, stdout=StringIO())
    assert token_authenticate(token) is None
