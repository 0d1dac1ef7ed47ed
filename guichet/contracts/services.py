"""Changes to subscriptions: creation, deployment milestones, suspension and resumption, fee changes and
termination requests. Each runs in one transaction and writes its audit event; mail leaves after commit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from guichet import provider
from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.customers.models import BackOfficeRequest, ContactRole, Organisation, User
from guichet.customers.permissions import COMMERCIAL_STAFF, is_customer, is_provider_staff
from guichet.customers.selectors import acting_contact
from guichet.customers.services import backoffice_open
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.money.amounts import UnknownCurrency, minor_unit
from guichet.money.errors import OutOfRange
from guichet.money.terms import Termination, add_months, earliest_termination
from guichet.plans.models import SlaPlan
from guichet.plans.selectors import plan_for_organisation

from . import explain
from .models import (
    FeeChange,
    Milestone,
    Service,
    Subscription,
    SubscriptionStatus,
    Suspension,
    TerminationRequest,
)

Kind = Milestone.Kind
DEPLOYMENT_STEPS = (Kind.SURVEY, Kind.INSTALLATION_SCHEDULED, Kind.INSTALLED, Kind.VERIFIED)


def _staff(actor: User, why: str, kinds: tuple[str, ...] | None = None) -> None:
    if is_customer(actor) or (kinds is not None and actor.kind not in kinds):
        raise PermissionDenied(why)


def _customer_with_role(actor: User, subscription: Subscription, roles: tuple[str, ...], why: str) -> None:
    """Staff pass; a contact must belong to the subscription's organisation and hold one of ``roles``."""
    if is_provider_staff(actor):
        return
    contact = acting_contact(actor)
    if contact is None or contact.organisation_id != subscription.organisation_id:
        raise PermissionDenied(why)
    if not any(contact.has_role(role) for role in roles):
        raise PermissionDenied(why)


def _audit(actor: User, door: Door, action: str, subscription: Subscription, **changes) -> None:
    record(
        actor=actor,
        door=door,
        action=action,
        target=subscription,
        organisation_id=subscription.organisation_id,
        changes=changes,
    )


def _status_in_english(subscription: Subscription) -> str:
    """The subscription's status inside the English sentences below, whoever reads them."""
    with translation.override("en"):
        return subscription.get_status_display().lower()


def _check_fee(monthly_fee: Decimal, currency: str) -> dict[str, str]:
    errors = {}
    try:
        digits = minor_unit(currency)
    except UnknownCurrency:
        errors["currency"] = f"Unknown currency {currency!r}: give its ISO 4217 code (EUR, TND...)."
    else:
        if monthly_fee < 0:
            errors["monthly_fee"] = "A fee cannot be negative."
        elif -monthly_fee.as_tuple().exponent > digits:  # type: ignore[operator]
            errors["monthly_fee"] = f"{currency} amounts have at most {digits} decimals."
    return errors


def subscription_create(
    *,
    actor: User,
    door: Door,
    organisation: Organisation,
    service: Service,
    identifier: str,
    monthly_fee: Decimal,
    currency: str = "EUR",
    start_date: date,
    plan: SlaPlan | None = None,
    commitment_months: int = 12,
    renewal_months: int = 12,
    notice_days: int = 30,
) -> Subscription:
    _staff(actor, "Only the provider's staff record subscriptions.")
    currency = currency.upper()
    errors = _check_fee(monthly_fee, currency)
    if not identifier.strip():
        errors["identifier"] = "Give the line number, circuit or site."
    if not service.is_active:
        errors["service"] = f"{service.name} is no longer sold."
    if commitment_months < 1 or renewal_months < 1:
        errors["commitment_months"] = "Terms are at least one month."
    else:
        try:
            add_months(start_date, commitment_months)
        except OutOfRange:
            # Its commitment would end after 9999-12-31: no termination date could ever be given.
            errors["start_date"] = gettext(
                "A contract starting on %(day)s would end its commitment after 9999-12-31."
            ) % {"day": start_date}
    plan = plan or service.default_plan or plan_for_organisation(organisation)
    if plan is None:
        errors["plan"] = "Say which SLA plan covers this subscription."
    if errors or plan is None:  # a missing plan is among the errors
        raise ValidationError(errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                organisation=organisation,
                service=service,
                identifier=identifier.strip(),
                monthly_fee=monthly_fee,
                currency=currency,
                plan=plan,
                start_date=start_date,
                commitment_months=commitment_months,
                renewal_months=renewal_months,
                notice_days=notice_days,
            )
            FeeChange.objects.create(
                subscription=subscription,
                effective_on=start_date,
                monthly_fee=monthly_fee,
                changed_by=actor,
                changed_at=now,
            )
            Milestone.objects.create(
                subscription=subscription, kind=Kind.ORDERED, at=now, recorded_by=actor, recorded_at=now
            )
            _audit(
                actor,
                door,
                "subscription.created",
                subscription,
                service=service.code,
                identifier=subscription.identifier,
                monthly_fee=f"{monthly_fee} {currency}",
                plan=plan.code,
                start_date=start_date,
            )
    except IntegrityError:
        raise ValidationError(
            {"identifier": f"{service.name} {identifier.strip()} is already subscribed and not terminated."}
        ) from None
    return subscription


@transaction.atomic
def milestone_record(
    *,
    actor: User,
    door: Door,
    subscription: Subscription,
    kind: str,
    at: datetime | None = None,
    note: str = "",
    check_passed: bool | None = None,
) -> Milestone:
    """Record (or correct) a deployment step. The service goes into service only after a commissioning
    check that passed (002 §4.4: the operator verifies that the deployed service works)."""
    _staff(actor, "Only the provider's staff record deployment steps.")
    if kind not in Kind.values or kind == Kind.ORDERED:
        raise ValidationError({"kind": f"Unknown step {kind!r}: use {', '.join(Kind.values[1:])}."})
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status in (SubscriptionStatus.TERMINATED, SubscriptionStatus.SUSPENDED):
        raise ValidationError({"subscription": f"The subscription is {_status_in_english(subscription)}."})
    if kind == Kind.VERIFIED and check_passed is None:
        raise ValidationError({"check_passed": "Say whether the commissioning check passed."})
    if (
        kind == Kind.ACTIVE
        and not subscription.milestones.filter(kind=Kind.VERIFIED, check_passed=True).exists()
    ):
        raise ValidationError(
            {"kind": "The service goes into service only after a commissioning check passed."}
        )
    now = timezone.now()
    milestone, _ = Milestone.objects.update_or_create(
        subscription=subscription,
        kind=kind,
        defaults={
            "at": at or now,
            "note": note,
            "check_passed": check_passed if kind == Kind.VERIFIED else None,
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    status = SubscriptionStatus.ACTIVE if kind == Kind.ACTIVE else SubscriptionStatus.DEPLOYING
    if subscription.status != status and subscription.status in (
        SubscriptionStatus.ORDERED,
        SubscriptionStatus.DEPLOYING,
    ):
        subscription.status = status
        subscription.save(update_fields=["status"])
    _audit(
        actor,
        door,
        "subscription.milestone",
        subscription,
        kind=kind,
        at=milestone.at,
        check_passed=milestone.check_passed,
        status=subscription.status,
    )
    return milestone


MAY_SUSPEND = (ContactRole.ADMIN, ContactRole.TECHNICAL)


@transaction.atomic
def subscription_suspend(
    *, actor: User, door: Door, subscription: Subscription, reason: str, note: str = ""
) -> Suspension:
    """Suspend a line at once (a lost or stolen device, 002 §9.3): by an admin or technical contact of its
    organisation, or by staff."""
    _customer_with_role(
        actor,
        subscription,
        MAY_SUSPEND,
        "Only your organisation's admin or technical contacts suspend lines.",
    )
    if reason not in Suspension.Reason.values:
        raise ValidationError(
            {"reason": f"Unknown reason {reason!r}: use {', '.join(Suspension.Reason.values)}."}
        )
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise ValidationError(
            {
                "subscription": "Only an active line can be suspended; this one is "
                f"{_status_in_english(subscription)}."
            }
        )
    suspension = Suspension.objects.create(
        subscription=subscription, reason=reason, note=note, suspended_at=timezone.now(), suspended_by=actor
    )
    subscription.status = SubscriptionStatus.SUSPENDED
    subscription.save(update_fields=["status"])
    _audit(actor, door, "subscription.suspended", subscription, reason=reason, note=note)
    return suspension


@transaction.atomic
def subscription_resume(*, actor: User, door: Door, subscription: Subscription) -> Suspension:
    _customer_with_role(
        actor, subscription, MAY_SUSPEND, "Only your organisation's admin or technical contacts resume lines."
    )
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    suspension = subscription.suspensions.filter(resumed_at__isnull=True).first()
    if subscription.status != SubscriptionStatus.SUSPENDED or suspension is None:
        raise ValidationError({"subscription": "This line is not suspended."})
    suspension.resumed_at, suspension.resumed_by = timezone.now(), actor
    suspension.save(update_fields=["resumed_at", "resumed_by"])
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.save(update_fields=["status"])
    _audit(actor, door, "subscription.resumed", subscription, suspended_at=suspension.suspended_at)
    return suspension


@transaction.atomic
def fee_change(
    *, actor: User, door: Door, subscription: Subscription, monthly_fee: Decimal, effective_on: date
) -> FeeChange:
    """A new monthly fee from ``effective_on`` (invoices prorate a month that has two fees)."""
    _staff(actor, "Only account managers, billing staff and supervisors change fees.", COMMERCIAL_STAFF)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    errors = _check_fee(monthly_fee, subscription.currency)
    if effective_on < subscription.start_date:
        errors["effective_on"] = f"The contract starts on {subscription.start_date}."
    if errors:
        raise ValidationError(errors)
    change, _ = FeeChange.objects.update_or_create(
        subscription=subscription,
        effective_on=effective_on,
        defaults={"monthly_fee": monthly_fee, "changed_by": actor, "changed_at": timezone.now()},
    )
    current = (
        FeeChange.objects.filter(subscription=subscription, effective_on__lte=provider.today())
        .order_by("-effective_on")
        .first()
    )
    if current is not None and current.monthly_fee != subscription.monthly_fee:
        subscription.monthly_fee = current.monthly_fee
        subscription.save(update_fields=["monthly_fee"])
    _audit(
        actor,
        door,
        "subscription.fee_changed",
        subscription,
        monthly_fee=f"{monthly_fee} {subscription.currency}",
        effective_on=effective_on,
    )
    return change


def termination_preview(subscription: Subscription, on: date | None = None, field: str = "on") -> Termination:
    """The earliest end the contract terms allow for a request made on ``on`` (today, provider's zone), with
    the terms that reach it (``contracts.explain`` words them). An end past 9999-12-31 is a
    ``ValidationError`` on ``field``."""
    requested_on = on or provider.today()
    try:
        return earliest_termination(
            start=subscription.start_date,
            requested_on=requested_on,
            commitment_months=subscription.commitment_months,
            renewal_months=subscription.renewal_months,
            notice_days=subscription.notice_days,
        )
    except OutOfRange:
        raise ValidationError(
            {
                field: gettext(
                    "A termination requested on %(day)s would end after 9999-12-31, the last day the "
                    "calendar holds: no end can be given."
                )
                % {"day": requested_on}
            }
        ) from None


@transaction.atomic
def termination_request(*, actor: User, door: Door, subscription: Subscription) -> TerminationRequest:
    """Ask to end a subscription: by an admin contact of its organisation (or staff relaying one). The end is
    the earliest the terms allow (000: 12-month commitment, yearly renewal, 30 days' notice); the request
    is traced and confirmed by mail to the requester, the organisation's admin contacts and its account
    manager."""
    _customer_with_role(
        actor, subscription, (ContactRole.ADMIN,), "Only your organisation's admin contacts end contracts."
    )
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == SubscriptionStatus.TERMINATED:
        raise ValidationError({"subscription": "This subscription is already terminated."})
    live = subscription.terminations.filter(withdrawn_at__isnull=True).first()
    if live is not None:
        raise ValidationError(
            {
                "subscription": f"Its termination was already requested on {live.requested_on}: "
                f"last day {live.last_day}."
            }
        )
    now = timezone.now()
    termination = termination_preview(subscription, provider.today(now), field="subscription")
    request = TerminationRequest.objects.create(
        subscription=subscription,
        requested_at=now,
        requested_on=termination.requested_on,
        requested_by=actor,
        door=door,
        last_day=termination.last_day,
        explanation_terms=explain.terms(termination),
    )
    subscription.end_date = termination.last_day
    subscription.save(update_fields=["end_date"])
    _audit(
        actor,
        door,
        "subscription.termination_requested",
        subscription,
        last_day=termination.last_day,
        explanation=request.explanation,  # in the site's language: the log reads the same whoever asked
    )
    backoffice_open(
        organisation=subscription.organisation,
        kind=BackOfficeRequest.Kind.TERMINATION,
        summary=f"Terminate {subscription.service.name} {subscription.identifier}: "
        f"last day {termination.last_day}",
        requested_by=actor,
        door=door,
    )
    enqueue_with_commit("guichet.contracts.tasks.send_termination_confirmation", request.pk)
    return request


@transaction.atomic
def terminate_ended(today: date | None = None) -> int:
    """Mark terminated the subscriptions whose last day has passed (the daily job); returns how many."""
    today = today or provider.today()
    ended = list(
        Subscription.objects.select_for_update()
        .filter(end_date__lt=today)
        .exclude(status=SubscriptionStatus.TERMINATED)
    )
    for subscription in ended:
        subscription.status = SubscriptionStatus.TERMINATED
        subscription.save(update_fields=["status"])
        record(
            actor=None,
            door=Door.SYSTEM,
            action="subscription.terminated",
            target=subscription,
            organisation_id=subscription.organisation_id,
            changes={"last_day": subscription.end_date},
        )
    return len(ended)
