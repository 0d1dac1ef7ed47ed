from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema

from guichet.errors import NotFound
from guichet.plans.selectors import plan_list

router = Router(tags=["plans"])


class TargetOut(Schema):
    clock: str
    priority: str | None
    amount: Decimal
    unit: str


class CalendarOut(Schema):
    name: str
    hours: str
    time_zone: str
    country: str


class PlanOut(Schema):
    code: str
    name: str
    availability_guarantee: Decimal | None
    support_calendar: CalendarOut
    fault_calendar: CalendarOut
    billing_calendar: CalendarOut | None
    credit_rate_per_hour: Decimal | None
    monthly_credit_cap: Decimal | None
    channels: list[str]
    phone_queue_priority: str
    monthly_ticket_quota: int | None
    quota_policy: str
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(obj):
        return [
            {"clock": t.clock, "priority": t.priority or None, "amount": t.amount, "unit": t.unit}
            for t in obj.targets.all()
        ]


@router.get("", response=list[PlanOut], summary="The SLA plans")
def list_plans(request):
    return list(plan_list())


@router.get("/{code}", response=PlanOut, summary="One SLA plan")
def get_plan(request, code: str):
    plan = plan_list().filter(code=code).first()
    if plan is None:
        raise NotFound(f"plan {code} not found")
    return plan
