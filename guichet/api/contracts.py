"""Services and subscriptions: the catalogue, an organisation's subscriptions with their deployment,
suspension, fees and termination. Amounts are strings with the currency's decimals ("100.00")."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import get_language
from ninja import Router, Schema, Status
from pydantic import Field

from guichet.audit.models import Door
from guichet.contracts import explain, services
from guichet.contracts.models import Service, Subscription
from guichet.contracts.selectors import subscription_get, subscriptions_visible_to
from guichet.customers.models import Organisation
from guichet.errors import ValidationError
from guichet.plans.models import SlaPlan

from .auth import staff_only
from .tickets import STRICT
from .types import Amount, Id, Instant, money_text

router = Router(tags=["subscriptions"])


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    description: str


@router.get("/services", response=list[ServiceOut], summary="The catalogue of services")
def list_services(request):
    return list(Service.objects.filter(is_active=True))


class MilestoneOut(Schema):
    kind: str
    label: str
    at: datetime
    note: str
    check_passed: bool | None


class FeeOut(Schema):
    effective_on: date
    monthly_fee: str


class TerminationOut(Schema):
    requested_on: date
    last_day: date
    explanation: str


class SubscriptionOut(Schema):
    id: int
    organisation_id: int
    service: str
    identifier: str
    status: str
    monthly_fee: str
    currency: str
    plan: str
    start_date: date
    commitment_months: int
    renewal_months: int
    notice_days: int
    end_date: date | None


class SubscriptionDetailOut(SubscriptionOut):
    milestones: list[MilestoneOut]
    fees: list[FeeOut]
    suspended_since: datetime | None
    termination: TerminationOut | None


def _row(s: Subscription) -> dict:
    return {
        "id": s.pk,
        "organisation_id": s.organisation_id,
        "service": s.service.code,
        "identifier": s.identifier,
        "status": s.status,
        "monthly_fee": money_text(s.monthly_fee, s.currency),
        "currency": s.currency,
        "plan": s.plan.code,
        "start_date": s.start_date,
        "commitment_months": s.commitment_months,
        "renewal_months": s.renewal_months,
        "notice_days": s.notice_days,
        "end_date": s.end_date,
    }


def _detail(user, pk: int) -> dict:
    s = subscription_get(user, pk, details=True)
    open_suspension = s.suspensions.filter(resumed_at__isnull=True).first()
    live = s.terminations.filter(withdrawn_at__isnull=True).first()
    return {
        **_row(s),
        "milestones": [
            {
                "kind": m.kind,
                "label": m.get_kind_display(),
                "at": m.at,
                "note": m.note,
                "check_passed": m.check_passed,
            }
            for m in s.milestones.all()
        ],
        "fees": [
            {"effective_on": f.effective_on, "monthly_fee": money_text(f.monthly_fee, s.currency)}
            for f in s.fee_changes.all()
        ],
        "suspended_since": open_suspension.suspended_at if open_suspension else None,
        "termination": (
            {
                "requested_on": live.requested_on,
                "last_day": live.last_day,
                "explanation": live.explanation_in(get_language()),
            }
            if live
            else None
        ),
    }


@router.get("/subscriptions", response=list[SubscriptionOut], summary="Subscriptions you can see")
def list_subscriptions(request, organisation_id: Id | None = None, status: str | None = None):
    qs = subscriptions_visible_to(request.user)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if status is not None:
        qs = qs.filter(status=status)
    return [_row(s) for s in qs]


@router.get(
    "/subscriptions/{subscription_id}",
    response=SubscriptionDetailOut,
    summary="One subscription, with its history",
)
def get_subscription(request, subscription_id: Id):
    return _detail(request.user, subscription_id)


class SubscriptionIn(Schema):
    model_config = STRICT
    organisation_id: Id
    service: str = Field(description="The service's code.")
    identifier: str = Field(min_length=1, max_length=120)
    monthly_fee: Amount
    currency: str = Field("EUR", min_length=3, max_length=3)
    start_date: date
    plan: str | None = Field(
        None, description="The SLA plan's code; by default the service's, else the organisation's."
    )
    commitment_months: int = Field(12, ge=1, le=120)
    renewal_months: int = Field(12, ge=1, le=120)
    notice_days: int = Field(30, ge=0, le=365)


@router.post("/subscriptions", response={201: SubscriptionDetailOut}, summary="Record a subscription (staff)")
def create_subscription(request, payload: SubscriptionIn):
    actor = staff_only(request, "Only the provider's staff record subscriptions.")
    organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise ValidationError({"organisation_id": "No such organisation."})
    service = Service.objects.filter(code=payload.service).first()
    if service is None:
        raise ValidationError({"service": f"Unknown service {payload.service!r}."})
    plan = None
    if payload.plan is not None:
        plan = SlaPlan.objects.filter(code=payload.plan).first()
        if plan is None:
            raise ValidationError({"plan": f"Unknown plan {payload.plan!r}."})
    subscription = services.subscription_create(
        actor=actor,
        door=Door.API,
        organisation=organisation,
        service=service,
        identifier=payload.identifier,
        monthly_fee=payload.monthly_fee,
        currency=payload.currency,
        start_date=payload.start_date,
        plan=plan,
        commitment_months=payload.commitment_months,
        renewal_months=payload.renewal_months,
        notice_days=payload.notice_days,
    )
    return Status(201, _detail(actor, subscription.pk))


class MilestoneIn(Schema):
    model_config = STRICT
    kind: str
    at: Instant | None = None
    note: str = ""
    check_passed: bool | None = None


@router.post(
    "/subscriptions/{subscription_id}/milestones",
    response=SubscriptionDetailOut,
    summary="Record a deployment step",
)
def record_milestone(request, subscription_id: Id, payload: MilestoneIn):
    subscription = subscription_get(request.user, subscription_id)
    services.milestone_record(actor=request.user, door=Door.API, subscription=subscription, **payload.dict())
    return _detail(request.user, subscription_id)


class SuspendIn(Schema):
    model_config = STRICT
    reason: str = Field(description="loss, theft or other")
    note: str = ""


@router.post(
    "/subscriptions/{subscription_id}/suspend",
    response=SubscriptionDetailOut,
    summary="Suspend a line at once",
)
def suspend(request, subscription_id: Id, payload: SuspendIn):
    subscription = subscription_get(request.user, subscription_id)
    services.subscription_suspend(
        actor=request.user, door=Door.API, subscription=subscription, **payload.dict()
    )
    return _detail(request.user, subscription_id)


@router.post(
    "/subscriptions/{subscription_id}/resume",
    response=SubscriptionDetailOut,
    summary="Resume a suspended line",
)
def resume(request, subscription_id: Id):
    subscription = subscription_get(request.user, subscription_id)
    services.subscription_resume(actor=request.user, door=Door.API, subscription=subscription)
    return _detail(request.user, subscription_id)


class FeeIn(Schema):
    model_config = STRICT
    monthly_fee: Amount
    effective_on: date


@router.post(
    "/subscriptions/{subscription_id}/fees",
    response=SubscriptionDetailOut,
    summary="Change the fee from a day on",
)
def change_fee(request, subscription_id: Id, payload: FeeIn):
    subscription = subscription_get(request.user, subscription_id)
    services.fee_change(actor=request.user, door=Door.API, subscription=subscription, **payload.dict())
    return _detail(request.user, subscription_id)


class TerminationPreviewOut(Schema):
    requested_on: date
    notice_deadline: date
    last_day: date
    explanation: str


@router.get(
    "/subscriptions/{subscription_id}/termination",
    response=TerminationPreviewOut,
    summary="The earliest end if termination were requested on a day (today by default)",
)
def termination_preview(request, subscription_id: Id, on: date | None = None):
    termination = services.termination_preview(subscription_get(request.user, subscription_id), on)
    return {
        "requested_on": termination.requested_on,
        "notice_deadline": termination.notice_deadline,
        "last_day": termination.last_day,
        "explanation": explain.termination(termination),
    }


@router.post(
    "/subscriptions/{subscription_id}/termination",
    response={201: SubscriptionDetailOut},
    summary="Request termination: it ends at the earliest the terms allow; confirmed by mail",
)
def request_termination(request, subscription_id: Id):
    subscription = subscription_get(request.user, subscription_id)
    services.termination_request(actor=request.user, door=Door.API, subscription=subscription)
    return Status(201, _detail(request.user, subscription_id))
