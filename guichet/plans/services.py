"""Commands that change plans and calendars. Each validates fully and runs in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Calendar, ClosedDate, PlanTarget, SlaPlan, TimeUnit


@dataclass(frozen=True)
class TargetSpec:
    clock: str
    amount: Decimal
    unit: str = TimeUnit.BUSINESS_HOURS
    priority: str = ""  # "" = every priority


def _assign(obj, fields: dict) -> bool:
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


@transaction.atomic
def calendar_upsert(
    *,
    name: str,
    hours: str,
    time_zone: str,
    country: str = "",
    subdivision: str = "",
    closed_dates: Iterable[tuple[date, str]] = (),
) -> tuple[Calendar, bool]:
    """Create or update the calendar called ``name``; returns (calendar, changed). Changes nothing when
    the stored calendar already says the same."""
    calendar = Calendar.objects.select_for_update().filter(name=name).first() or Calendar(name=name)
    changed = _assign(
        calendar, {"hours": hours, "time_zone": time_zone, "country": country, "subdivision": subdivision}
    )
    changed = changed or calendar.pk is None
    if changed:
        calendar.full_clean()
        calendar.save()
    wanted = dict(closed_dates)
    stored = {c.date: c for c in calendar.closed_dates.all()}
    for day in stored.keys() - wanted.keys():
        stored[day].delete()
        changed = True
    for day, label in wanted.items():
        row = stored.get(day)
        if row is None or row.label != label:
            row = row or ClosedDate(calendar=calendar, date=day)
            row.label = label
            row.full_clean()
            row.save()
            changed = True
    if changed:
        Calendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
        calendar.refresh_from_db()
    return calendar, changed


def check_targets(plan: SlaPlan, targets: Sequence[TargetSpec]) -> list[PlanTarget]:
    """The plan's target rows, each validated; a ValidationError names every bad one (``targets[i].field``)
    and every clock and priority given twice."""
    rows = []
    errors: dict[str, list[str]] = {}
    seen = set()
    for i, spec in enumerate(targets):
        row = PlanTarget(
            plan=plan, clock=spec.clock, priority=spec.priority, amount=Decimal(spec.amount), unit=spec.unit
        )
        try:
            row.full_clean(exclude=["plan"], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"targets[{i}].{field}"] = messages
        if (spec.clock, spec.priority) in seen:
            errors[f"targets[{i}]"] = [
                f"Duplicate target for {spec.clock} / {spec.priority or 'all priorities'}."
            ]
        seen.add((spec.clock, spec.priority))
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def plan_upsert(
    *,
    code: str,
    name: str,
    support_calendar: Calendar,
    fault_calendar: Calendar,
    targets: Sequence[TargetSpec],
    description: str = "",
    availability_guarantee: Decimal | None = None,
    billing_calendar: Calendar | None = None,
    credit_rate_per_hour: Decimal | None = None,
    monthly_credit_cap: Decimal | None = None,
    channels: Sequence[str] = (),
    phone_queue_priority: str = "none",
    monthly_ticket_quota: int | None = None,
    quota_policy: str = "flag",
    raise_priority_after: Decimal | None = None,
) -> tuple[SlaPlan, bool]:
    """Create or update the plan ``code`` and replace its targets; returns (plan, changed).

    Every field and target is validated before anything is written; a bad one raises ValidationError naming
    the field (targets as ``targets[i].field``) and leaves the stored plan as it was.
    """
    plan = SlaPlan.objects.select_for_update().filter(code=code).first() or SlaPlan(code=code)
    changed = (
        _assign(
            plan,
            {
                "name": name,
                "description": description,
                "availability_guarantee": availability_guarantee,
                "support_calendar_id": support_calendar.pk,
                "fault_calendar_id": fault_calendar.pk,
                "billing_calendar_id": billing_calendar.pk if billing_calendar else None,
                "credit_rate_per_hour": credit_rate_per_hour,
                "monthly_credit_cap": monthly_credit_cap,
                "channels": list(channels),
                "phone_queue_priority": phone_queue_priority,
                "monthly_ticket_quota": monthly_ticket_quota,
                "quota_policy": quota_policy,
                "raise_priority_after": raise_priority_after,
            },
        )
        or plan.pk is None
    )
    plan.full_clean()

    rows = check_targets(plan, targets)
    if changed:
        plan.save()
    stored = {(t.clock, t.priority, t.amount, t.unit) for t in plan.targets.all()}
    wanted = {(r.clock, r.priority, r.amount, r.unit) for r in rows}
    if stored != wanted:
        plan.targets.all().delete()
        PlanTarget.objects.bulk_create(rows)
        changed = True
    return plan, changed
