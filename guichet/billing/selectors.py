"""Reads of claims, credits and invoices, scoped: a contact sees their organisation's, staff see all. What the
organisation is billed and credited (invoices, credit notes, credits) is for its admin and billing contacts
only: any other contact is refused (403), on a list and on one of its own invoices; a foreign invoice stays
404."""

from __future__ import annotations

from django.db.models import QuerySet

from guichet.customers.models import User
from guichet.customers.permissions import MONEY_ROLES, is_customer, is_provider_staff
from guichet.customers.selectors import acting_contact, contact_holds, may_act
from guichet.errors import NotFound, PermissionDenied

from .models import Claim, Credit, Invoice


def _scoped(qs: QuerySet, user: User) -> QuerySet:
    if not may_act(user):
        return qs.none()
    if is_customer(user):
        contact = acting_contact(user)
        return qs.filter(organisation_id=contact.organisation_id) if contact else qs.none()
    return qs


def claims_visible_to(user: User) -> QuerySet[Claim]:
    return _scoped(Claim.objects.select_related("subscription__service", "ticket", "decided_by"), user)


def claim_get(user: User, pk: int) -> Claim:
    claim = claims_visible_to(user).filter(pk=pk).first()
    if claim is None:
        raise NotFound(f"claim {pk} not found")
    return claim


BILLING_REFUSED = "Only your organisation's admin or billing contacts may see its invoices and credits."


def may_see_invoices(user: User) -> bool:
    """Staff, and the admin or billing contacts of an organisation (its invoices, credit notes, credits)."""
    return is_provider_staff(user) or contact_holds(user, MONEY_ROLES)


def _billing_reader(user: User) -> None:
    if not may_see_invoices(user):
        raise PermissionDenied(BILLING_REFUSED)


def credits_visible_to(user: User) -> QuerySet[Credit]:
    _billing_reader(user)
    return _scoped(Credit.objects.select_related("subscription__service"), user)


def _invoices(user: User) -> QuerySet[Invoice]:
    return _scoped(Invoice.objects.select_related("organisation", "corrects"), user)


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    _billing_reader(user)
    return _invoices(user)


def invoice_get(user: User, pk: int) -> Invoice:
    """One invoice or credit note: NotFound outside the user's scope (another organisation's), then
    PermissionDenied for a contact who may not see its organisation's invoices."""
    invoice = (
        _invoices(user)
        .select_related("organisation__billing_profile")
        .prefetch_related("lines")
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise NotFound(f"invoice {pk} not found")
    _billing_reader(user)
    return invoice
