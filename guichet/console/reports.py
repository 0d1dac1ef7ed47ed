"""The supervisor dashboard's figures: reads only, each a handful of grouped queries.

- SLA compliance by month of opening (last 6 months): clocks that ended met or breached, per month, and per
  plan and priority — read from the rows the hourly ``sla-stats`` job computes (tickets/stats.py);
- the backlog of open tickets by age;
- availability this month of the subscriptions that had an outage (the others are at 100 %);
- credits issued per month and currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from guichet import provider
from guichet.availability.models import Outage
from guichet.availability.services import monthly
from guichet.billing.models import Credit
from guichet.contracts.models import Subscription
from guichet.money.availability import month_bounds
from guichet.tickets.models import OPEN_STATUSES, SlaMonthStat, Ticket

AGE_BUCKETS = [("< 1 day", 1), ("1-3 days", 3), ("3-7 days", 7), ("7-30 days", 30), ("30 days +", None)]


@dataclass
class Bar:
    label: str
    value: float
    text: str
    share: float = 0.0  # of the chart's largest value, for drawing


def scale(bars: list[Bar], top: float | None = None) -> list[Bar]:
    largest = top if top is not None else max((b.value for b in bars), default=0)
    for bar in bars:
        bar.share = (bar.value / largest) if largest else 0.0
    return bars


def _tz() -> ZoneInfo:
    return provider.zone()


def _since(months: int) -> datetime:
    first = provider.first_of_months_ago(months)
    return provider.month(first.year, first.month)[0]


def compliance(months: int = 6) -> dict:
    """From the hourly ``SlaMonthStat`` rows (tickets/stats.py): per month, and per plan and priority."""

    rows = list(
        SlaMonthStat.objects.filter(month__gte=_since(months).astimezone(_tz()).date())
        .select_related("plan")
        .order_by("month")
    )
    months_: dict = {}
    plans: dict = {}
    for row in rows:
        m = months_.setdefault(row.month, [0, 0])
        m[0] += row.met
        m[1] += row.met + row.breached
        p = plans.setdefault((row.plan.name, row.priority), [0, 0])
        p[0] += row.met
        p[1] += row.met + row.breached
    bars = [
        Bar(f"{m:%Y-%m}", 100.0 * met / total, f"{100 * met / total:.1f} %")
        for m, (met, total) in months_.items()
        if total
    ]
    breaches = [
        Bar(f"{m:%Y-%m}", float(total - met), str(total - met)) for m, (met, total) in months_.items()
    ]
    table = [
        {
            "plan": plan,
            "priority": priority,
            "met": met,
            "total": total,
            "percent": f"{100 * met / total:.1f}",
        }
        for (plan, priority), (met, total) in sorted(plans.items())
        if total
    ]
    as_of = max((row.computed_at for row in rows), default=None)
    return {"months": scale(bars, 100.0), "breaches": scale(breaches), "by_plan": table, "as_of": as_of}


def backlog() -> list[Bar]:
    now = timezone.now()
    counts = []
    lower = 0
    for label, upper in AGE_BUCKETS:
        q = Q(opened_at__lte=now - timedelta(days=lower))
        if upper is not None:
            q &= Q(opened_at__gt=now - timedelta(days=upper))
        counts.append((label, q))
        lower = upper or lower
    row = Ticket.objects.filter(status__in=OPEN_STATUSES).aggregate(
        **{f"b{i}": Count("pk", filter=q) for i, (_, q) in enumerate(counts)}
    )
    return scale([Bar(label, float(row[f"b{i}"]), str(row[f"b{i}"])) for i, (label, _) in enumerate(counts)])


def availability(limit: int = 20) -> list[Bar]:
    """This month's availability of the subscriptions that had an outage, worst first."""
    today = timezone.localtime(timezone.now(), _tz()).date()
    start, end = month_bounds(year=today.year, month=today.month, tz=_tz())
    touched = Outage.objects.filter(started_at__lt=end).exclude(ended_at__lte=start).values("subscriptions")
    rows = []
    for s in Subscription.objects.filter(pk__in=touched).select_related("service", "plan"):
        result = monthly(s, today.year, today.month)
        rows.append(Bar(f"{s.service.name} {s.identifier}", float(result.percent), f"{result.percent} %"))
    rows.sort(key=lambda b: b.value)
    return scale(rows[:limit], 100.0)


def credits(months: int = 6) -> list[Bar]:
    rows = (
        Credit.objects.filter(created_at__gte=_since(months))
        .annotate(m=TruncMonth("created_at", tzinfo=_tz()))
        .values("m", "currency")
        .annotate(total=Sum("amount"))
        .order_by("m", "currency")
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    bars = []
    for row in rows:
        label = f"{row['m']:%Y-%m} {row['currency']}"
        totals[row["currency"]] += row["total"]
        bars.append(Bar(label, float(row["total"]), f"{row['total']:.2f} {row['currency']}"))
    return scale(bars)
