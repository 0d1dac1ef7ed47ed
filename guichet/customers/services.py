"""Commands on accounts."""

from __future__ import annotations

from django.db import transaction

from .models import User


@transaction.atomic
def user_ensure(
    *, username: str, password: str, email: str = "", is_staff: bool = False, is_superuser: bool = False
) -> tuple[User, bool]:
    """Create the user if missing (with this password); an existing user is left exactly as it is."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(username=username, email=email, is_staff=is_staff, is_superuser=is_superuser)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user, True
