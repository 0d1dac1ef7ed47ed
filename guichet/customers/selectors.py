"""Reads of customers."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from .models import Contact, User, phone_digits
from .permissions import MONEY_ROLES, is_admin, is_customer, is_provider_staff

__all__ = ["MONEY_ROLES"]  # read here by the services that check a contact's roles


def may_act(user) -> bool:
    """Whether ``user`` may act now, through any door: an active login and, for a customer, an active contact.

    The one check of "only while they may". A contact deactivated by its organisation keeps its User row (its
    tickets and audit events name it) but loses every door at once: its session (the authentication backend,
    ``signin.LimitedModelBackend``), its API tokens (``tokens.token_authenticate``), signing in, password
    reset links, and every scoped read (``acting_contact`` below, used by each app's selectors)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_provider_staff(user):
        return True
    # A customer login without a Contact row belongs to no organisation: it may sign in, but every scoped
    # read gives it nothing (``acting_contact`` is None). An organisation the provider deactivated (a former
    # customer) takes every door from all of its contacts at once, as a contact's own deactivation does.
    contact = getattr(user, "contact", None)
    return contact is None or (contact.is_active and contact.organisation.is_active)


def acting_contact(user) -> Contact | None:
    """The contact a customer acts as, when it may act now (``may_act``); None for staff, anonymous users,
    logins without a contact and deactivated contacts. Selectors scope a customer's reads with it, so a
    deactivated contact sees nothing even through a door that forgot to ask."""
    if not may_act(user) or not is_customer(user):
        return None
    return getattr(user, "contact", None)


def may_date_events(user, *, can_import: bool = False) -> bool:
    """Whether ``user`` may give an SLA event an instant of its own choosing (a ticket opened, a message
    written, an intervention started, a call taken at some past instant): imports only, that is an admin or a
    token with the import permission (``can_import``: ``ApiToken.can_import``, ``guichet createtoken
    --import``). Everyone else's events happen now: a past instant would move a clock (a first response
    before the ticket opened, a breached clock turned met)."""
    return may_act(user) and (can_import or is_admin(user))


def contact_holds(user: User, roles: tuple[str, ...], organisation_id: int | None = None) -> bool:
    """Whether ``user`` is an active contact holding one of ``roles`` (of ``organisation_id``, when given)."""
    contact = acting_contact(user)
    if contact is None:
        return False
    if organisation_id is not None and contact.organisation_id != organisation_id:
        return False
    return any(contact.has_role(role) for role in roles)


def people_with_address(address: str) -> list[User]:
    """The people who may act now (``may_act``: staff, active contacts) whose address is ``address``, compared
    without case. More than one is an ambiguity an agent resolves (inbound mail is held): an address
    identifies one person (``services.identifier_errors``), but data from before that rule may hold two."""
    address = (address or "").strip()
    if not address:
        return []
    users = User.objects.filter(email__iexact=address, is_active=True).select_related("contact__organisation")
    return [user for user in users.order_by("pk")[:10] if may_act(user)]


def contacts_for_number(number: str) -> list[Contact]:
    """The active contacts whose phone is ``number`` (compared by digits: "+352 621 12 34" is
    "003526211234"), at most a few. More than one is an ambiguity an agent resolves: a number identifies one
    person (``services.identifier_errors`` refuses a second one), but data from before that rule may hold
    two; nothing picks one of them (not "the oldest")."""
    digits = phone_digits(number)
    if not digits:
        return []
    return list(
        Contact.objects.select_related("user", "organisation")
        .filter(phone_digits=digits, is_active=True, user__is_active=True, organisation__is_active=True)
        .order_by("pk")[:10]
    )


def organisation_contacts(
    organisation_id: int, *, first_user_id: int | None = None, limit: int = 12
) -> tuple[list[Contact], int]:
    """An organisation's active contacts with their logins, ``first_user_id``'s first (a ticket's requester),
    then by name: at most ``limit`` of them, and how many there are (a second query only when there are
    more than ``limit``)."""
    qs = Contact.objects.filter(organisation_id=organisation_id, is_active=True, user__is_active=True)
    rows: list[Contact] = list(
        qs.select_related("user")
        .annotate(
            requester_first=Case(
                When(user_id=first_user_id, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("requester_first", "user__last_name", "user__first_name", "pk")[:limit]
    )
    return rows, (len(rows) if len(rows) < limit else qs.count())
