"""The supervisors' dashboard figures, rolled up in the background.

Counting the ended clocks of a month of tickets takes about a second on a million tickets, and the tickets
opened or resolved in a period, per team or organisation, as much again; the dashboard must answer in a small
fraction of that whatever the period and filters. So the hourly ``sla-stats`` job counts them once, into two
rollups:

* ``TicketDayStat``: by provider-local day, plan, priority, team and organisation, the tickets opened that
  day and their ended clocks (met, breached, per clock kind), and the tickets resolved that day;
* ``AgentDayStat``: by day, assignee, team and plan, the tickets resolved that day and the first responses of
  the tickets opened that day.

The day rows count what happened from the first of ``MONTHS`` months ago to the instant of the job's run (the
run's own day is a partial row); the dashboard counts what happened since live (an hour or so of tickets,
from the indexes) and adds it, and says "as of" for the rest (tickets/reports.py). Each run makes the rows
what it counted in one transaction, writing only those that changed: running it twice gives the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Count, PositiveIntegerField, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from guichet import provider
from guichet.plans.models import Clock

from .models import AgentDayStat, ClockState, SlaClock, Ticket, TicketDayStat

MONTHS = 6
ENDED = [ClockState.MET, ClockState.BREACHED]
MET = Q(state=ClockState.MET)
BREACHED = Q(state=ClockState.BREACHED)


def day_window(computed_at: datetime, months: int = MONTHS) -> tuple[datetime, datetime]:
    """The span of real time the day rows of a run at ``computed_at`` cover: from the provider's midnight of
    the first of ``months`` months ago to the run itself."""
    first = provider.first_of_months_ago(months, computed_at)
    return datetime.combine(first, time(), tzinfo=provider.zone()), computed_at


def recompute(months: int = MONTHS) -> int:
    """Rewrite the day rollups of the last ``months`` months (see the module's docstring); returns the rows
    written."""
    now = timezone.now()
    return _days(months, now)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _days(months: int, now: datetime) -> int:
    since, until = day_window(now, months)
    tz = provider.zone()
    opened = Q(opened_at__gte=since, opened_at__lt=until)
    resolved = Q(resolved_at__gte=since, resolved_at__lt=until)
    cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    keys = ("plan_id", "priority", "team_id", "organisation_id")
    for row in (
        Ticket.objects.filter(opened)
        .annotate(d=TruncDate("opened_at", tzinfo=tz))
        .values("d", *keys)
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cells[(_day(row["d"]), *(row[k] for k in keys))]["opened"] = row["n"]
    for row in (
        Ticket.objects.filter(resolved)
        .annotate(d=TruncDate("resolved_at", tzinfo=tz))
        .values("d", *keys)
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cells[(_day(row["d"]), *(row[k] for k in keys))]["resolved"] = row["n"]
    clock_keys = tuple(f"ticket__{k}" for k in keys)
    for row in (
        SlaClock.objects.filter(ticket__opened_at__gte=since, ticket__opened_at__lt=until, state__in=ENDED)
        .annotate(d=TruncDate("ticket__opened_at", tzinfo=tz))
        .values("d", *clock_keys, "clock")
        .annotate(met=Count("pk", filter=MET), breached=Count("pk", filter=BREACHED))
        .order_by()
    ):
        cell = cells[(_day(row["d"]), *(row[k] for k in clock_keys))]
        cell[f"{row['clock']}_met"] = row["met"]
        cell[f"{row['clock']}_breached"] = row["breached"]
    agents = _agent_days(since, until)
    with transaction.atomic():
        return _replace(TicketDayStat, ("day", *keys), cells, now) + _replace(
            AgentDayStat, ("day", "assignee_id", "team_id", "plan_id"), agents, now
        )


def _replace(
    model: Any, fields: tuple[str, ...], cells: dict[tuple[Any, ...], dict[str, int]], now: datetime
) -> int:
    """Make ``model``'s rows those of ``cells`` (their key fields' values -> their counts), writing only the
    rows that differ, then stamp every row with ``now``; returns the rows there are. An hourly run, where
    only recent days change, writes a few hundred rows instead of tens of thousands (rewriting 45,000 held
    SQLite's write lock 5 s at 200,000 tickets). Read in the transaction, before its first write."""
    counts = [f.name for f in model._meta.fields if isinstance(f, PositiveIntegerField)]
    current = {
        tuple(r[f] for f in fields): (r["pk"], tuple(r[c] for c in counts))
        for r in model.objects.values("pk", *fields, *counts)
    }
    wanted = {key: tuple(c.get(n, 0) for n in counts) for key, c in cells.items()}
    stale = [pk for key, (pk, values) in current.items() if wanted.get(key) != values]
    for i in range(0, len(stale), 500):
        model.objects.filter(pk__in=stale[i : i + 500]).delete()
    model.objects.bulk_create(
        [
            model(
                **dict(zip(fields, key, strict=True)),
                **dict(zip(counts, values, strict=True)),
                computed_at=now,
            )
            for key, values in wanted.items()
            if key not in current or current[key][1] != values
        ],
        batch_size=2000,
    )
    model.objects.update(computed_at=now)
    return len(wanted)


def _agent_days(since: datetime, until: datetime) -> dict[tuple[Any, ...], dict[str, int]]:
    tz = provider.zone()
    cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for row in (
        Ticket.objects.filter(resolved_at__gte=since, resolved_at__lt=until, assignee__isnull=False)
        .annotate(d=TruncDate("resolved_at", tzinfo=tz))
        .values("d", "assignee_id", "team_id", "plan_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cells[(_day(row["d"]), row["assignee_id"], row["team_id"], row["plan_id"])]["resolved"] = row["n"]
    for row in (
        SlaClock.objects.filter(
            ticket__opened_at__gte=since,
            ticket__opened_at__lt=until,
            ticket__assignee__isnull=False,
            clock=Clock.FIRST_RESPONSE,
            state__in=ENDED,
        )
        .annotate(d=TruncDate("ticket__opened_at", tzinfo=tz))
        .values("d", "ticket__assignee_id", "ticket__team_id", "ticket__plan_id")
        .annotate(met=Count("pk", filter=MET), breached=Count("pk", filter=BREACHED))
        .order_by()
    ):
        key = (_day(row["d"]), row["ticket__assignee_id"], row["ticket__team_id"], row["ticket__plan_id"])
        cells[key].update(first_response_met=row["met"], first_response_breached=row["breached"])
    return cells


def as_of() -> datetime | None:
    """When the day rows were last computed (None: never, or nothing to count then)."""
    return TicketDayStat.objects.order_by().values_list("computed_at", flat=True).first()
