"""The supervisor dashboard's figures, as the console draws them: bars for its charts, each linked to the
console queue listing the tickets behind it.

The ticket figures and their filters are the tickets app's (guichet/tickets/reports.py, scoped to the reader;
the counts over a period mostly from the hourly ``sla-stats`` day rows); here they become bars and links.
Availability and credits are not tickets: they honour the period, plan and organisation, link nowhere, and
have no team (a subscription and a credit belong to an organisation, not to a team): the page says so when a
team is chosen.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from guichet import provider
from guichet.availability.selectors import month_of
from guichet.billing.models import Credit
from guichet.customers.models import User
from guichet.plans.models import CLOCK_LABEL
from guichet.tickets import reports as tickets
from guichet.tickets.models import Priority
from guichet.tickets.reports import Figure, OpenNow, Scope, Split, split

from .tickets import queue_query

PRIORITY_LABELS = {
    Priority.LOW: pgettext_lazy("priority", "Low"),
    Priority.MEDIUM: pgettext_lazy("priority", "Medium"),
    Priority.HIGH: pgettext_lazy("priority", "High"),
    Priority.URGENT: pgettext_lazy("priority", "Urgent"),
}


@dataclass
class Bar:
    label: str
    value: float
    text: str
    share: float = 0.0  # of the chart's largest value, for drawing
    url: str = ""  # the queue listing the tickets behind it, if it counts tickets


def scale(bars: list[Bar], top: float | None = None) -> list[Bar]:
    largest = top if top is not None else max((b.value for b in bars), default=0)
    for bar in bars:
        bar.share = (bar.value / largest) if largest else 0.0
    return bars


@functools.lru_cache(maxsize=8)
def _queue_path(script_prefix: str) -> str:
    return reverse("console-queue")  # which depends on nothing else: once per prefix, not once per link


def link(figure: Figure) -> str:
    """The console queue listing the tickets behind ``figure``."""
    return f"{_queue_path(get_script_prefix())}?{queue_query(figure.filters)}"


def percent(value: float | None) -> str:
    """One decimal, in the reader's notation ("92.5 %", "92,5 %"); a dash when nothing is counted."""
    return "—" if value is None else f"{number_format(value, 1)} %"


def _bar(label, figure: Figure) -> Bar:
    return Bar(str(label), float(figure.value), str(figure.value), url=link(figure))


def counting(user: User, scope: Scope) -> Split:
    """What of ``scope`` the day rollups answer for ``user`` and what is counted live (one query): asked once
    per page and given to each of the functions below."""
    return split(user, scope)


def open_now(user: User, scope: Scope, now: datetime) -> OpenNow:
    """What of ``scope`` is open now, counted once per page for the bars and the agents' table."""
    return tickets.open_now(user, scope, now)


def ticket_bars(
    user: User, scope: Scope, now: datetime, parts: Split | None = None, current: OpenNow | None = None
) -> dict:
    figures = tickets.ticket_figures(user, scope, now, parts, current)
    return {
        "tickets": scale(
            [
                _bar(pgettext("tickets", "Opened"), figures["opened"]),
                _bar(pgettext("tickets", "Resolved"), figures["resolved"]),
                _bar(_("Opened and still open"), figures["open"]),
            ]
        ),
        "backlog": scale([_bar(label, figure) for label, figure in figures["backlog"]]),
    }


def compliance(user: User, scope: Scope, parts: Split | None = None) -> dict:
    """Per clock kind, a bar split in met and breached clocks (each part linked to its tickets); the table
    per plan, priority and clock."""
    found = tickets.compliance(user, scope, parts)
    return {
        "by_clock": [
            {
                "row": c,
                "clock": CLOCK_LABEL[c.clock],
                "percent": percent(c.percent),
                "met_share": (c.met.value / c.ended) if c.ended else 0.0,
                "breached_share": (c.breached.value / c.ended) if c.ended else 0.0,
                "met_url": link(c.met),
                "breached_url": link(c.breached),
            }
            for c in found["by_clock"]
        ],
        "by_plan": [
            {
                "row": c,
                "clock": CLOCK_LABEL[c.clock],
                "priority": PRIORITY_LABELS[c.priority],
                "percent": percent(c.percent),
                "met_url": link(c.met),
                "breached_url": link(c.breached),
            }
            for c in found["by_plan"]
        ],
        "as_of": found["as_of"],
    }


def agents(
    user: User,
    scope: Scope,
    now: datetime,
    sort: str,
    parts: Split | None = None,
    current: OpenNow | None = None,
) -> list[dict]:
    return [
        {
            "row": a,
            "queue": link(Figure(0, {"assignee_id": a.agent_id, "statuses": a.open.filters["statuses"]})),
            "open": link(a.open),
            "breached": link(a.breached),
            "due_soon": link(a.due_soon),
            "resolved": link(a.resolved),
            "first_response": percent(a.first_response.percent),
            "first_response_breached": link(a.first_response.breached),
            **_first_responses(a.first_response),
        }
        for a in tickets.agents_load(user, scope, now, sort, parts, current)
    ]


def _first_responses(fr) -> dict:
    """An agent's first responses in words ("7 of 9", "2 late"), written here once per row rather than by
    two blocktranslate tags per row of the table (a quarter of the page's rendering)."""
    ended, late = fr.ended, fr.breached.value
    return {
        "first_response_count": ngettext("%(met)s of %(ended)s", "%(met)s of %(ended)s", ended)
        % {"met": number_format(fr.met.value), "ended": number_format(ended)}
        if ended
        else "",
        "first_response_late": ngettext("%(n)s late", "%(n)s late", late) % {"n": number_format(late)}
        if late
        else "",
    }


def availability(scope: Scope, now: datetime, limit: int = 20) -> tuple[str, list[Bar]]:
    """The availability, in the month where the period ends, of the subscriptions (of the plan and
    organisation chosen) that had an outage then, worst first; and that month as the reader says it
    ("November 2026", "novembre 2026"). One query whatever the number of subscriptions and outages
    (availability.selectors.month_of)."""
    last = provider.local(scope.end - timedelta(microseconds=1))
    chosen = Q()
    if scope.plan_id is not None:
        chosen &= Q(subscription__plan_id=scope.plan_id)
    if scope.organisation_id is not None:
        chosen &= Q(subscription__organisation_id=scope.organisation_id)
    touched = month_of(last.year, last.month, now, chosen).touched
    rows = [
        Bar(f"{row.subscription.service.name} {row.subscription.identifier}", float(p), f"{p} %")
        for row in touched[:limit]
        for p in [row.measured.percent]
    ]
    return date_format(last, "YEAR_MONTH_FORMAT"), scale(rows, 100.0)


def credits(scope: Scope) -> list[Bar]:
    """Credits issued in the period (to the organisation, on subscriptions of the plan chosen), by month
    and currency."""
    rows = Credit.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.plan_id is not None:
        rows = rows.filter(subscription__plan_id=scope.plan_id)
    if scope.organisation_id is not None:
        rows = rows.filter(organisation_id=scope.organisation_id)
    totals = (
        rows.annotate(m=TruncMonth("created_at", tzinfo=provider.zone()))
        .values("m", "currency")
        .annotate(total=Sum("amount"))
        .order_by("m", "currency")
    )
    bars = []
    for row in totals:
        label = f"{row['m']:%Y-%m} {row['currency']}"
        bars.append(Bar(label, float(row["total"]), f"{row['total']:.2f} {row['currency']}"))
    return scale(bars)
