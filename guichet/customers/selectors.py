"""Reads of customers."""

from __future__ import annotations

from .models import Contact, ContactRole, User, phone_digits

# The contact roles that commit the organisation to pay and read what it is billed: accepting or refusing a
# quote; invoices, credit notes and credits (every role's rights: docs/architecture.md, "What a contact's
# roles allow").
MONEY_ROLES = (ContactRole.ADMIN, ContactRole.BILLING)


def contact_holds(user: User, roles: tuple[str, ...], organisation_id: int | None = None) -> bool:
    """Whether ``user`` is an active contact holding one of ``roles`` (of ``organisation_id``, when given)."""
    contact = getattr(user, "contact", None) if user.kind == User.Kind.CUSTOMER else None
    if contact is None or not contact.is_active:
        return False
    if organisation_id is not None and contact.organisation_id != organisation_id:
        return False
    return any(contact.has_role(role) for role in roles)


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
