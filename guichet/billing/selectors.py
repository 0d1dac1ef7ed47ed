"""Reads of claims and credits, scoped: a contact sees their organisation's, staff see all."""

from __future__ import annotations

from django.db.models import QuerySet

from guichet.customers.models import User
from guichet.tickets.errors import NotFound

from .models import Claim, Credit, Invoice


def _scoped(qs: QuerySet, user: User) -> QuerySet:
    if user.kind == User.Kind.CUSTOMER:
        contact = getattr(user, "contact", None)
        return qs.filter(organisation_id=contact.organisation_id) if contact else qs.none()
    return qs


def claims_visible_to(user: User) -> QuerySet[Claim]:
    return _scoped(Claim.objects.select_related("subscription__service", "ticket", "decided_by"), user)


def claim_get(user: User, pk: int) -> Claim:
    claim = claims_visible_to(user).filter(pk=pk).first()
    if claim is None:
        raise NotFound(f"claim {pk} not found")
    return claim


def credits_visible_to(user: User) -> QuerySet[Credit]:
    return _scoped(Credit.objects.select_related("subscription__service"), user)


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    return _scoped(Invoice.objects.select_related("organisation", "corrects"), user)


def invoice_get(user: User, pk: int) -> Invoice:
    invoice = (
        invoices_visible_to(user)
        .select_related("organisation__billing_profile")
        .prefetch_related("lines")
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise NotFound(f"invoice {pk} not found")
    return invoice
