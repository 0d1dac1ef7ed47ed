"""Reads of subscriptions, scoped to who asks: a contact sees their organisation's, staff see all."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from guichet.customers.models import User
from guichet.customers.permissions import is_customer
from guichet.customers.selectors import acting_contact, may_act
from guichet.errors import NotFound

from .models import FeeChange, Milestone, Subscription, SubscriptionStatus


def subscriptions_visible_to(user: User) -> QuerySet[Subscription]:
    qs = Subscription.objects.select_related("service", "plan", "organisation")
    if not may_act(user):
        return qs.none()
    if is_customer(user):
        contact = acting_contact(user)
        return qs.filter(organisation_id=contact.organisation_id) if contact else qs.none()
    return qs


def subscription_get(user: User, pk: int, *, details: bool = False) -> Subscription:
    qs = subscriptions_visible_to(user)
    if details:
        qs = qs.prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("at", "pk")),
            "fee_changes",
        )
    subscription = qs.filter(pk=pk).first()
    if subscription is None:
        raise NotFound(f"subscription {pk} not found")
    return subscription


def organisation_subscriptions(user: User, organisation_id: int) -> QuerySet[Subscription]:
    """One organisation's subscriptions, as ``user`` may see them (its service and plan joined)."""
    return subscriptions_visible_to(user).filter(organisation_id=organisation_id)


def live_count(subscriptions: QuerySet[Subscription]) -> int:
    """How many of ``subscriptions`` are not terminated."""
    return subscriptions.exclude(status=SubscriptionStatus.TERMINATED).count()


def fee_periods(
    subscription: Subscription, first_day: date, last_day: date
) -> list[tuple[date, date, Decimal]]:
    """The monthly fee in force over [first_day, last_day], as (from, to inclusive, fee) pieces: a fee change
    mid-month splits the month. Days before the contract's start are not in any piece."""
    changes = list(FeeChange.objects.filter(subscription=subscription).order_by("effective_on"))
    pieces: list[tuple[date, date, Decimal]] = []
    for i, change in enumerate(changes):
        start = max(change.effective_on, first_day)
        end = (
            min(changes[i + 1].effective_on - timedelta(days=1), last_day)
            if i + 1 < len(changes)
            else last_day
        )
        if start <= end:
            pieces.append((start, end, change.monthly_fee))
    return pieces


def fee_on_day(subscription: Subscription, day: date) -> Decimal:
    """The monthly fee in force on ``day`` (the first fee before the contract's start)."""
    change = (
        FeeChange.objects.filter(subscription=subscription, effective_on__lte=day)
        .order_by("-effective_on")
        .first()
    )
    return change.monthly_fee if change else subscription.monthly_fee
