"""Reads of customers."""

from __future__ import annotations

from .models import Contact, phone_digits


def contact_for_number(number: str) -> Contact | None:
    """The active contact whose phone is ``number`` (compared by digits: "+352 621 12 34" is
    "003526211234"); the oldest when several share it. None for an unknown or empty number."""
    digits = phone_digits(number)
    if not digits:
        return None
    return (
        Contact.objects.select_related("user", "organisation")
        .filter(phone_digits=digits, is_active=True, user__is_active=True)
        .order_by("pk")
        .first()
    )
