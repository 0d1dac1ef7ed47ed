"""The supervisors' dashboard over tickets: figures for a period, a team, a plan and an organisation.

Every figure comes with the queue filters (``selectors.queue``'s keywords) that list exactly the tickets
behind it, so the console links each number to those tickets and the two cannot disagree: both are counted
from the same columns, over what the reader may see (``tickets_visible_to``). Reads only, each a grouped
query: a bounded number of queries whatever the number of tickets and agents.

The SLA compliance of whole months, for someone who sees every ticket and filters by no team nor
organisation, is read from the hourly ``sla-stats`` rows (tickets/stats.py: counting the clocks of a month
takes a second on a million tickets); any other choice is counted live from the clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guichet import provider
from guichet.customers.models import User
from guichet.customers.permissions import sees_everything
from guichet.errors import ValidationError

from .models import OPEN_STATUSES, Clock, ClockState, Priority, SlaClock, SlaMonthStat, Status, Ticket
from .selectors import tickets_visible_to
from .stats import MONTHS

SOON = timedelta(hours=1)
ENDED = [ClockState.MET, ClockState.BREACHED]
ALL_STATUSES = list(Status.values)

# The backlog's ages: (label, youngest in days, oldest in days or None).
AGE_BUCKETS = [
    (_("Less than a day"), 0, 1),
    (_("1 to 3 days"), 1, 3),
    (_("3 to 7 days"), 3, 7),
    (_("7 to 30 days"), 7, 30),
    (_("30 days or more"), 30, None),
]


class Period:
    """The periods a supervisor picks (the dashboard's ``period`` parameter)."""

    THIS_MONTH = "month"
    LAST_MONTH = "last_month"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    CUSTOM = "custom"
    choices = [
        (THIS_MONTH, _("This month")),
        (LAST_MONTH, _("Last month")),
        (LAST_7_DAYS, _("Last 7 days")),
        (LAST_30_DAYS, _("Last 30 days")),
        (CUSTOM, _("Dates chosen below")),
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=provider.zone())


def period_bounds(
    period: str, *, first: date | None = None, last: date | None = None, now: datetime
) -> tuple[datetime, datetime]:
    """The period as a half-open span of real time [start, end), from the provider's midnights: the days
    ``first`` to ``last`` included for a custom period, the last 7 or 30 days including today."""
    today = provider.today(now)
    if period == Period.THIS_MONTH:
        start = today.replace(day=1)
        return _midnight(start), _midnight((start + timedelta(days=32)).replace(day=1))
    if period == Period.LAST_MONTH:
        end = today.replace(day=1)
        return _midnight((end - timedelta(days=1)).replace(day=1)), _midnight(end)
    if period in (Period.LAST_7_DAYS, Period.LAST_30_DAYS):
        days = 7 if period == Period.LAST_7_DAYS else 30
        return _midnight(today - timedelta(days=days - 1)), _midnight(today + timedelta(days=1))
    if period != Period.CUSTOM:
        raise ValidationError({"period": gettext("Choose one of the periods offered.")})
    if first is None or last is None:
        missing = "start" if first is None else "end"
        raise ValidationError({missing: gettext("Give both dates of the period.")})
    if last < first:
        raise ValidationError({"end": gettext("The end of the period comes before its start.")})
    return _midnight(first), _midnight(last + timedelta(days=1))


@dataclass(frozen=True)
class Scope:
    """What the dashboard counts: tickets of the period [start, end) and of the team, plan and organisation
    chosen (None: any)."""

    start: datetime
    end: datetime
    team_id: int | None = None
    plan_id: int | None = None
    organisation_id: int | None = None

    def where(self) -> dict:
        return {"team_id": self.team_id, "plan_id": self.plan_id, "organisation_id": self.organisation_id}

    def opened(self) -> dict:
        return {"opened_from": self.start, "opened_before": self.end}


@dataclass
class Figure:
    """A count and the queue filters that list the tickets behind it."""

    value: int
    filters: dict


def _tickets(user: User, scope: Scope) -> QuerySet[Ticket]:
    where = {k: v for k, v in scope.where().items() if v is not None}
    return tickets_visible_to(user).filter(**where)


def _figure(value: int | None, scope: Scope, **filters) -> Figure:
    return Figure(value or 0, {**scope.where(), **filters})


# -- tickets: opened, resolved, still open, and the backlog by age ------------------------------------


def _age_ranges(scope: Scope, now: datetime) -> list[tuple[datetime, datetime]]:
    """Each age bucket as a range of opening instants, inside the period (empty ranges stay: a zero)."""
    ranges = []
    for _label, young, old in AGE_BUCKETS:
        start = scope.start if old is None else max(scope.start, now - timedelta(days=old))
        end = min(scope.end, now - timedelta(days=young)) if young else scope.end
        ranges.append((start, max(start, end)))
    return ranges


def ticket_figures(user: User, scope: Scope, now: datetime) -> dict:
    """Tickets opened in the period, resolved in it, opened in it and still open, and those by age: one
    query."""
    opened = Q(opened_at__gte=scope.start, opened_at__lt=scope.end)
    resolved = Q(resolved_at__gte=scope.start, resolved_at__lt=scope.end)
    still_open = Q(status__in=OPEN_STATUSES)
    ages = _age_ranges(scope, now)
    counts = {
        "opened": Count("pk", filter=opened),
        "resolved": Count("pk", filter=resolved),
        "open": Count("pk", filter=opened & still_open),
    }
    for i, (start, end) in enumerate(ages):
        counts[f"age{i}"] = Count("pk", filter=still_open & Q(opened_at__gte=start, opened_at__lt=end))
    row = _tickets(user, scope).filter(opened | resolved).aggregate(**counts)
    return {
        "opened": _figure(row["opened"], scope, statuses=ALL_STATUSES, **scope.opened()),
        "resolved": _figure(
            row["resolved"],
            scope,
            statuses=ALL_STATUSES,
            resolved_from=scope.start,
            resolved_before=scope.end,
        ),
        "open": _figure(row["open"], scope, statuses=list(OPEN_STATUSES), **scope.opened()),
        "backlog": [
            (
                label,
                _figure(row[f"age{i}"], scope, statuses=list(OPEN_STATUSES), opened_from=a, opened_before=b),
            )
            for i, ((label, _y, _o), (a, b)) in enumerate(zip(AGE_BUCKETS, ages, strict=True))
        ],
    }


# -- SLA compliance: ended clocks of the tickets opened in the period -----------------------------------


@dataclass
class Compliance:
    """Met and breached clocks of one kind (and plan and priority, in the table), with their tickets."""

    clock: str
    met: Figure
    breached: Figure
    plan: str = ""
    plan_id: int | None = None
    priority: str = ""

    @property
    def ended(self) -> int:
        return self.met.value + self.breached.value

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met.value / self.ended if self.ended else None


def _whole_months(scope: Scope) -> bool:
    start, end = provider.local(scope.start), provider.local(scope.end)
    midnight_of_first = start.day == 1 and start.time() == time() and end.day == 1 and end.time() == time()
    return midnight_of_first and start.date() >= provider.first_of_months_ago(MONTHS)


def _from_stats(user: User, scope: Scope) -> bool:
    """Whether the hourly rows answer: they count every ticket, by month, plan, priority and clock."""
    return (
        sees_everything(user)
        and scope.team_id is None
        and scope.organisation_id is None
        and _whole_months(scope)
    )


def _clock_rows(user: User, scope: Scope) -> tuple[list[dict], datetime | None]:
    """(plan id, plan name, priority, clock, met, breached) of the ended clocks of the tickets opened in the
    period; and when they were counted, if read from the hourly rows (None: now)."""
    if _from_stats(user, scope):
        stats = SlaMonthStat.objects.filter(
            month__gte=provider.local(scope.start).date(), month__lt=provider.local(scope.end).date()
        )
        if scope.plan_id is not None:
            stats = stats.filter(plan_id=scope.plan_id)
        rows = list(
            stats.values("plan_id", "plan__name", "priority", "clock").annotate(
                met_=Sum("met"), breached_=Sum("breached"), as_of=Max("computed_at")
            )
        )
        if rows:
            return [_row(r, "plan_id", "plan__name", "priority", "clock") for r in rows], max(
                r["as_of"] for r in rows
            )
    tickets = _tickets(user, scope).filter(opened_at__gte=scope.start, opened_at__lt=scope.end)
    rows = list(
        SlaClock.objects.filter(ticket__in=tickets.values("pk"), state__in=ENDED)
        .values("ticket__plan_id", "ticket__plan__name", "ticket__priority", "clock")
        .annotate(
            met_=Count("pk", filter=Q(state=ClockState.MET)),
            breached_=Count("pk", filter=Q(state=ClockState.BREACHED)),
        )
        .order_by()
    )
    return [_row(r, "ticket__plan_id", "ticket__plan__name", "ticket__priority", "clock") for r in rows], None


def _row(r: dict, plan_id: str, plan: str, priority: str, clock: str) -> dict:
    return {
        "plan_id": r[plan_id],
        "plan": r[plan],
        "priority": r[priority],
        "clock": r[clock],
        "met": r["met_"],
        "breached": r["breached_"],
    }


def _compliance(scope: Scope, clock: str, met: int, breached: int, **narrower) -> Compliance:
    base = {**scope.opened(), **narrower, "statuses": ALL_STATUSES, "clock": clock}
    return Compliance(
        clock=clock,
        met=_figure(met, scope, **base, clock_state=ClockState.MET),
        breached=_figure(breached, scope, **base, clock_state=ClockState.BREACHED),
    )


def compliance(user: User, scope: Scope) -> dict:
    """Per clock kind, and per plan, priority and clock kind: met and breached clocks of the tickets opened
    in the period (one query: of the hourly rows or of the clocks)."""
    rows, as_of = _clock_rows(user, scope)
    by_clock = {c: [0, 0] for c in Clock.values}
    table = []
    for r in rows:
        by_clock[r["clock"]][0] += r["met"]
        by_clock[r["clock"]][1] += r["breached"]
        line = _compliance(
            scope, r["clock"], r["met"], r["breached"], plan_id=r["plan_id"], priority=r["priority"]
        )
        line.plan, line.plan_id, line.priority = r["plan"], r["plan_id"], r["priority"]
        table.append(line)
    priorities, clocks = list(Priority.values), list(Clock.values)
    table.sort(key=lambda c: (c.plan, priorities.index(c.priority), clocks.index(c.clock)))
    return {
        "by_clock": [_compliance(scope, c, met, breached) for c, (met, breached) in by_clock.items()],
        "by_plan": table,
        "as_of": as_of,
    }


# -- agents' load ------------------------------------------------------------------------------------------


@dataclass
class AgentLoad:
    agent_id: int
    name: str
    open: Figure
    breached: Figure
    due_soon: Figure
    resolved: Figure
    first_response: Compliance
    sort_values: dict = field(default_factory=dict)


SORTS = ("agent", "open", "breached", "due_soon", "resolved", "first_response")


def _any_breached():
    return Exists(SlaClock.objects.filter(ticket=OuterRef("pk"), state=ClockState.BREACHED))


def agents_load(user: User, scope: Scope, now: datetime, sort: str = "-open") -> list[AgentLoad]:
    """Per agent: open tickets assigned now, of which breached and due within the hour; resolved in the
    period; first-response compliance of the tickets opened in the period. Four grouped queries, whatever
    the number of agents and tickets: the open ones, the resolved ones, the first-response clocks, the
    agents (the active agents, of the team if one is chosen, and anyone assigned a ticket counted)."""
    now = now.replace(microsecond=0)  # the "due within the hour" links' bounds, readable
    # No "assignee is not null" in these: SQLite would then read them through the assignee index, that is
    # every ticket ever assigned, instead of the open ones (status) or those of the period (opened_at,
    # resolved_at). The unassigned tickets' group is counted and dropped.
    tickets = _tickets(user, scope)
    soon = Q(next_due_at__gte=now, next_due_at__lt=now + SOON)
    open_rows = {
        r["assignee_id"]: r
        for r in tickets.filter(status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(
            open=Count("pk"),
            breached=Count("pk", filter=Q(_any_breached())),
            soon=Count("pk", filter=soon),
        )
        .order_by()
    }
    resolved_rows = dict(
        tickets.filter(resolved_at__gte=scope.start, resolved_at__lt=scope.end)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("assignee_id", "n")
    )
    opened = tickets.filter(opened_at__gte=scope.start, opened_at__lt=scope.end)
    fr_rows = {
        r["ticket__assignee_id"]: r
        for r in SlaClock.objects.filter(
            ticket__in=opened.values("pk"), clock=Clock.FIRST_RESPONSE, state__in=ENDED
        )
        .values("ticket__assignee_id")
        .annotate(
            met=Count("pk", filter=Q(state=ClockState.MET)),
            breached=Count("pk", filter=Q(state=ClockState.BREACHED)),
        )
        .order_by()
    }
    counted = (set(open_rows) | set(resolved_rows) | set(fr_rows)) - {None}
    listed = Q(is_active=True, kind=User.Kind.AGENT)
    if scope.team_id is not None:
        listed &= Q(teams__id=scope.team_id)
    agents = User.objects.filter(Q(pk__in=counted) | listed).distinct().order_by("username")
    rows = [_load(a, scope, now, open_rows, resolved_rows, fr_rows) for a in agents]
    return sort_load(rows, sort)


def _load(agent: User, scope: Scope, now: datetime, open_rows: dict, resolved_rows: dict, fr_rows: dict):
    mine = {"assignee_id": agent.pk}
    o = open_rows.get(agent.pk, {})
    fr = fr_rows.get(agent.pk, {})
    open_ = {**mine, "statuses": list(OPEN_STATUSES)}
    return AgentLoad(
        agent_id=agent.pk,
        name=agent.display_name,
        open=_figure(o.get("open"), scope, **open_),
        breached=_figure(o.get("breached"), scope, **open_, breached=True),
        due_soon=_figure(o.get("soon"), scope, **open_, due_from=now, due_before=now + SOON),
        resolved=_figure(
            resolved_rows.get(agent.pk),
            scope,
            **mine,
            statuses=ALL_STATUSES,
            resolved_from=scope.start,
            resolved_before=scope.end,
        ),
        first_response=_compliance(
            scope, Clock.FIRST_RESPONSE, fr.get("met", 0), fr.get("breached", 0), **mine
        ),
    )


def sort_load(rows: list[AgentLoad], sort: str) -> list[AgentLoad]:
    """By a column of SORTS, "-" first for the largest first; ties by name. No compliance (nothing ended)
    sorts as the lowest."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        raise ValidationError({"sort": gettext("Sort by one of the table's columns.")})

    def value(row: AgentLoad):
        if key == "agent":
            return row.name.casefold()
        if key == "first_response":
            percent = row.first_response.percent
            return -1.0 if percent is None else percent
        return getattr(row, key).value

    rows.sort(key=lambda r: r.name.casefold())
    rows.sort(key=value, reverse=sort.startswith("-"))
    return rows
