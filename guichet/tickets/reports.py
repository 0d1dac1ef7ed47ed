"""The supervisors' dashboard over tickets: figures for a period, a team, a plan and an organisation.

Every figure comes with the queue filters (``selectors.queue``'s keywords) that list exactly the tickets
behind it, so the console links each number to those tickets and the two cannot disagree: both are counted
from the same columns, over what the reader may see (``tickets_visible_to``). Reads only, each a grouped
query: a bounded number of queries whatever the number of tickets and agents.

Counts over a period (tickets opened, resolved; clocks met, breached; per agent, resolved and first responses)
are sums of the hourly ``sla-stats`` job's day rows (tickets/stats.py) up to the job's last run, plus a live
count of what happened since (an hour or so, from the indexes): a few thousand rows whatever the period,
team, plan or organisation. Only for a reader who sees every ticket (the rows count them all) and for periods
inside the rows' window; otherwise everything is counted live, as it is for what is "now": the tickets still
open, by age, and each agent's open, breached and due tickets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guichet import provider
from guichet.customers.models import User
from guichet.customers.permissions import sees_everything
from guichet.errors import ValidationError
from guichet.plans.models import SlaPlan

from . import stats
from .models import (
    OPEN_STATUSES,
    AgentDayStat,
    Clock,
    ClockState,
    Priority,
    SlaClock,
    Status,
    Ticket,
    TicketDayStat,
)
from .selectors import tickets_visible_to

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


Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Split:
    """How a scope's period is counted: the days of ``rolled`` summed from the day rows computed at
    ``as_of``, the instants of ``live`` counted from the tickets (either may be None: nothing there)."""

    rolled: Span | None
    live: Span | None
    as_of: datetime | None
    # What the page's functions read of the day rows, read once for all (``_day_cells``).
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def split(user: User, scope: Scope) -> Split:
    """The day rows answer for a reader who sees every ticket (they count them all), for the days of the
    period inside their window; what happened since the last run is counted live. One query (when they were
    computed); the dashboard asks once and passes the answer to each of the functions below (``parts``)."""
    everything = Split(None, (scope.start, scope.end), None)
    if not sees_everything(user):
        return everything
    as_of = stats.as_of()
    if as_of is None:
        return everything
    since, until = stats.day_window(as_of)
    if scope.start < since or scope.start >= until:
        return everything
    live = (until, scope.end) if scope.end > until else None
    return Split((scope.start, min(scope.end, until)), live, as_of)


def _days(model, scope: Scope, span: Span) -> QuerySet:
    """The day rows of ``span`` (from a provider's midnight to another or to the last run, whose day's row
    counts up to the run) and of the team, plan and organisation chosen."""
    first = provider.local(span[0]).date()
    last = provider.local(span[1] - timedelta(microseconds=1)).date() + timedelta(days=1)
    where = {k: v for k, v in scope.where().items() if v is not None}
    return model.objects.filter(day__gte=first, day__lt=last, **where).order_by()


def _in(field: str, span: Span) -> Q:
    return Q(**{f"{field}__gte": span[0], f"{field}__lt": span[1]})


# -- tickets: opened, resolved, still open, and the backlog by age ------------------------------------


def _age_ranges(scope: Scope, now: datetime) -> list[tuple[datetime, datetime]]:
    """Each age bucket as a range of opening instants, inside the period (empty ranges stay: a zero)."""
    ranges = []
    for _label, young, old in AGE_BUCKETS:
        start = scope.start if old is None else max(scope.start, now - timedelta(days=old))
        end = min(scope.end, now - timedelta(days=young)) if young else scope.end
        ranges.append((start, max(start, end)))
    return ranges


# An assignee as a group key that names no column, so that SQLite groups the rows a WHERE chose rather than
# walk an index in assignee order (and read every ticket it holds).
_AGENT = ExpressionWrapper(F("assignee_id") + 0, output_field=IntegerField())


def _no_load() -> dict:
    """An agent's open tickets before any is counted."""
    return {"open": 0, "breached": 0, "soon": 0}


@dataclass(frozen=True)
class OpenNow:
    """What of a scope is open now: per assignee (None: unassigned) the open tickets, how many breached and
    how many due within the hour from ``soon_from``; those opened in the period, and those by age (the
    opening ``ranges`` of AGE_BUCKETS). Counted once per page (``open_now``) for the tickets' bars and the
    agents' table."""

    load: dict
    in_period: int
    ages: list[int]
    ranges: list[Span]
    soon_from: datetime


def open_now(user: User, scope: Scope, now: datetime) -> OpenNow:
    """The scope's open tickets as of ``now``, from indexes alone (no row of the table), each engine in the
    way it counts fastest 100,000 open tickets (1M tickets in bench/pages.py):

    - PostgreSQL: one pass over the open tickets' entries of (status, opened_at, assignee, breached) —
      ticket_status_opened, or ticket_team_opened for a team — grouped by assignee and flag, the period and
      each age a filtered count (32 ms, where a query per figure took 78);
    - SQLite: the agents' load as ``_open_load`` reads it, and one count per range of opening instants (a
      count of index entries, with no expression to evaluate per ticket: 12 ms against 59 ms with a filtered
      count per age).

    Then those due within the hour, a short range of the queue's index."""
    soon_from = now.replace(microsecond=0)  # the "due within the hour" links' bounds, readable
    tickets = _tickets(user, scope)
    ranges = _age_ranges(scope, now)
    period = (scope.start, scope.end)
    still_open = tickets.filter(status__in=OPEN_STATUSES)
    if connection.vendor == "postgresql":
        # Counts of opened_at, a column of the index (never empty), not of the id, which is not in it and
        # would send PostgreSQL to the table's rows (60 ms against 30).
        counts = {"n": Count("*"), "period": Count("opened_at", filter=_in("opened_at", period))}
        for i, span in enumerate(ranges):
            counts[f"age{i}"] = Count("opened_at", filter=_in("opened_at", span))
        rows = list(
            still_open.values(agent=F("assignee_id"), flag=F("breached")).annotate(**counts).order_by()
        )
        load: dict = defaultdict(_no_load)
        for r in rows:
            load[r["agent"]]["open"] += r["n"]
            if r["flag"]:
                load[r["agent"]]["breached"] += r["n"]
        in_period = sum(r["period"] for r in rows)
        ages = [sum(r[f"age{i}"] for r in rows) for i in range(len(ranges))]
    else:
        load = _open_load(tickets, team=scope.team_id is not None)
        in_period = still_open.filter(_in("opened_at", period)).count()
        ages = [
            still_open.filter(_in("opened_at", span)).count() if span[0] < span[1] else 0 for span in ranges
        ]
    soon = Q(next_due_at__gte=soon_from, next_due_at__lt=soon_from + SOON)
    for r in still_open.filter(soon).values(agent=_AGENT).annotate(n=Count("*")).order_by():
        load.setdefault(r["agent"], _no_load())["soon"] += r["n"]
    return OpenNow(dict(load), in_period, ages, ranges, soon_from)


def ticket_figures(
    user: User, scope: Scope, now: datetime, parts: Split | None = None, current: OpenNow | None = None
) -> dict:
    """Tickets opened in the period, resolved in it (from the day rows and live: see ``split``), opened in it
    and still open, and those by age (``open_now``): two queries and those of ``open_now`` at most."""
    parts = parts or split(user, scope)
    current = current or open_now(user, scope, now)
    opened = resolved = 0
    if parts.rolled:
        day_cells = _day_cells(scope, parts)
        opened = sum(r["n_opened"] or 0 for r in day_cells)
        resolved = sum(r["n_resolved"] or 0 for r in day_cells)
    if parts.live:
        was_opened, was_resolved = _in("opened_at", parts.live), _in("resolved_at", parts.live)
        row = (
            _tickets(user, scope)
            .filter(was_opened | was_resolved)
            .aggregate(o=Count("pk", filter=was_opened), r=Count("pk", filter=was_resolved))
        )
        opened, resolved = opened + row["o"], resolved + row["r"]
    return {
        "opened": _figure(opened, scope, statuses=ALL_STATUSES, **scope.opened()),
        "resolved": _figure(
            resolved,
            scope,
            statuses=ALL_STATUSES,
            resolved_from=scope.start,
            resolved_before=scope.end,
        ),
        "open": _figure(current.in_period, scope, statuses=list(OPEN_STATUSES), **scope.opened()),
        "backlog": [
            (
                label,
                _figure(n, scope, statuses=list(OPEN_STATUSES), opened_from=a, opened_before=b),
            )
            for (label, _y, _o), n, (a, b) in zip(AGE_BUCKETS, current.ages, current.ranges, strict=True)
        ],
        "as_of": parts.as_of,
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


def _day_cells(scope: Scope, parts: Split) -> list[dict]:
    """The day rows of the rolled part of the period summed by plan and priority — tickets opened and
    resolved, clocks met and breached per kind — and the plan's name: one pass over them for the tickets'
    bars and the compliance (30 days are 12,000 rows at 1M tickets), kept on ``parts`` for the page."""
    if "cells" not in parts.memo:
        assert parts.rolled is not None
        sums = {f"{c}_{s}": Sum(f"{c}_{s}") for c in Clock.values for s in ("met", "breached")}
        cells = list(
            _days(TicketDayStat, scope, parts.rolled)
            .values("plan_id", "priority")
            .annotate(n_opened=Sum("opened"), n_resolved=Sum("resolved"), **sums)
        )
        # The plans' names apart: joined, SQLite reads the rows by plan instead of by day (every row of the
        # window); as a subquery, Django groups by it and PostgreSQL runs it for each row (30 ms, not 5).
        names = dict(SlaPlan.objects.filter(pk__in={c["plan_id"] for c in cells}).values_list("pk", "name"))
        for cell in cells:
            cell["plan"] = names.get(cell["plan_id"], "")
        parts.memo["cells"] = cells
    return parts.memo["cells"]


def _clock_rows(user: User, scope: Scope, parts: Split | None) -> tuple[list[dict], datetime | None]:
    """(plan id, plan name, priority, clock, met, breached) of the ended clocks of the tickets opened in the
    period, from the day rows and live (see ``split``); and when the day rows were counted (None: all live).
    Two queries at most, and the one of ``split``."""
    parts = parts or split(user, scope)
    cells: dict[tuple, dict] = {}

    def add(r: dict) -> None:
        key = (r["plan_id"], r["priority"], r["clock"])
        if key in cells:
            cells[key]["met"] += r["met"]
            cells[key]["breached"] += r["breached"]
        else:
            cells[key] = r

    if parts.rolled:
        for r in _day_cells(scope, parts):
            for c in Clock.values:
                met, breached = r[f"{c}_met"] or 0, r[f"{c}_breached"] or 0
                if met or breached:
                    add(
                        {
                            "plan_id": r["plan_id"],
                            "plan": r["plan"],
                            "priority": r["priority"],
                            "clock": c,
                            "met": met,
                            "breached": breached,
                        }
                    )
    if parts.live:
        tickets = _tickets(user, scope).filter(_in("opened_at", parts.live))
        for r in (
            SlaClock.objects.filter(ticket__in=tickets.values("pk"), state__in=ENDED)
            .values("ticket__plan_id", "ticket__plan__name", "ticket__priority", "clock")
            .annotate(
                met_=Count("pk", filter=Q(state=ClockState.MET)),
                breached_=Count("pk", filter=Q(state=ClockState.BREACHED)),
            )
            .order_by()
        ):
            add(
                {
                    **_row(r, "ticket__plan_id", "ticket__plan__name", "ticket__priority"),
                    "clock": r["clock"],
                    "met": r["met_"],
                    "breached": r["breached_"],
                }
            )
    return list(cells.values()), parts.as_of


def _row(r: dict, plan_id: str, plan: str, priority: str) -> dict:
    return {"plan_id": r[plan_id], "plan": r[plan], "priority": r[priority]}


def _compliance(scope: Scope, clock: str, met: int, breached: int, **narrower) -> Compliance:
    base = {**scope.opened(), **narrower, "statuses": ALL_STATUSES, "clock": clock}
    return Compliance(
        clock=clock,
        met=_figure(met, scope, **base, clock_state=ClockState.MET),
        breached=_figure(breached, scope, **base, clock_state=ClockState.BREACHED),
    )


def compliance(user: User, scope: Scope, parts: Split | None = None) -> dict:
    """Per clock kind, and per plan, priority and clock kind: met and breached clocks of the tickets opened
    in the period (from the day rows and live, see ``split``)."""
    rows, as_of = _clock_rows(user, scope, parts)
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


def _open_load(tickets: QuerySet[Ticket], *, team: bool) -> dict:
    """SQLite: per assignee (None: unassigned), the open tickets of ``tickets`` and how many are breached
    (the ticket's own flag), from one index and no row of the table:

    - every team: grouped as the index ticket_open_load is ordered (breached, status, assignee), its ranges
      named (breached either way, each open status) so that they are read in order: 100,000 open tickets at
      1M tickets are as many index entries, a few hundred groups, added up here;
    - a team (``team``): its entries of ticket_team_opened, grouped by expressions that name no column, so
      that SQLite does not walk ticket_open_load in order and look up every open ticket's row for its team
      (170 ms against 10).

    COUNT(*), the tickets due within the hour counted apart (``open_now``): a filtered count per entry cost
    40 % more. No "assignee is not null": SQLite would then read every ticket ever assigned through the
    assignee index instead of the open ones; the unassigned tickets' group is counted and dropped by the
    caller."""
    load: dict = defaultdict(_no_load)
    open_ = tickets.filter(status__in=OPEN_STATUSES)
    if team:
        flag = Cast("breached", output_field=IntegerField())
        found = open_.values(agent=_AGENT, flag=flag)
    else:
        found = open_.filter(breached__in=[False, True]).values(
            flag=F("breached"), state=F("status"), agent=F("assignee_id")
        )
    for r in found.annotate(n=Count("*")).order_by():
        row = load[r["agent"]]
        row["open"] += r["n"]
        if r["flag"]:
            row["breached"] += r["n"]
    return load


def agents_load(
    user: User,
    scope: Scope,
    now: datetime,
    sort: str = "-open",
    parts: Split | None = None,
    current: OpenNow | None = None,
) -> list[AgentLoad]:
    """Per agent: open tickets assigned now, of which breached and due within the hour; resolved in the
    period; first-response compliance of the tickets opened in the period. Four grouped queries, whatever
    the number of agents and tickets: the open ones, the resolved ones, the first-response clocks, the
    agents (the active agents, of the team if one is chosen, and anyone assigned a ticket counted)."""
    current = current or open_now(user, scope, now)
    now = current.soon_from
    open_rows = current.load
    resolved_rows, fr_rows = _agents_period(user, scope, parts or split(user, scope))
    counted = (set(open_rows) | set(resolved_rows) | set(fr_rows)) - {None}
    listed = Q(is_active=True, kind=User.Kind.AGENT)
    if scope.team_id is not None:
        listed &= Q(teams__id=scope.team_id)
    agents = User.objects.filter(Q(pk__in=counted) | listed).distinct().order_by("username")
    rows = [_load(a, scope, now, open_rows, resolved_rows, fr_rows) for a in agents]
    return sort_load(rows, sort)


def _agents_period(user: User, scope: Scope, parts: Split) -> tuple[dict, dict]:
    """Per assignee: tickets resolved in the period; met and breached first responses of the tickets opened
    in it. From the agents' day rows and live (see ``split``); all live when an organisation is chosen (the
    rows have no organisation: an organisation's tickets of a period are a range of its own indexes). Two
    queries at most."""
    if scope.organisation_id is not None:
        parts = Split(None, (scope.start, scope.end), None)
    resolved: dict = defaultdict(int)
    first: dict = defaultdict(lambda: {"met": 0, "breached": 0})
    if parts.rolled:
        for r in (
            _days(AgentDayStat, scope, parts.rolled)
            .values("assignee_id")
            .annotate(r=Sum("resolved"), m=Sum("first_response_met"), b=Sum("first_response_breached"))
        ):
            resolved[r["assignee_id"]] += r["r"] or 0
            first[r["assignee_id"]]["met"] += r["m"] or 0
            first[r["assignee_id"]]["breached"] += r["b"] or 0
    if parts.live:
        # No "assignee is not null" in these: SQLite would then read them through the assignee index, that
        # is every ticket ever assigned, instead of those of the period (opened_at, resolved_at). The
        # unassigned tickets' group is counted and dropped.
        tickets = _tickets(user, scope)
        for assignee, n in (
            tickets.filter(_in("resolved_at", parts.live))
            .values("assignee_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("assignee_id", "n")
        ):
            resolved[assignee] += n
        opened = tickets.filter(_in("opened_at", parts.live))
        for r in (
            SlaClock.objects.filter(
                ticket__in=opened.values("pk"), clock=Clock.FIRST_RESPONSE, state__in=ENDED
            )
            .values("ticket__assignee_id")
            .annotate(
                met=Count("pk", filter=Q(state=ClockState.MET)),
                breached=Count("pk", filter=Q(state=ClockState.BREACHED)),
            )
            .order_by()
        ):
            first[r["ticket__assignee_id"]]["met"] += r["met"]
            first[r["ticket__assignee_id"]]["breached"] += r["breached"]
    return dict(resolved), dict(first)


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
