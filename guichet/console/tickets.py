"""The console's queue and ticket view: agents work tickets by SLA urgency; every act goes through the
ticket services (so the clocks, the audit trail and the customer's mail follow)."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet import provider
from guichet.audit.models import Door
from guichet.customers.access import error_lines, form_id, staff_only
from guichet.customers.models import Organisation, Team, User
from guichet.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guichet.plans.models import CLOCK_LABEL, SlaPlan
from guichet.tickets import services
from guichet.tickets.history import ticket_history
from guichet.tickets.models import OPEN_STATUSES, Category, Clock, ClockState, Priority, Status, Ticket
from guichet.tickets.present import clock_badges, next_due_badges
from guichet.tickets.selectors import conversation, merge_target, queue, queue_page, ticket_get

from . import services as console_services
from .context import ticket_context
from .models import CannedReply

DOOR = Door.WEB
PAGE = 50
SOON = timedelta(hours=1)


# The drill-down filters (from the supervisors' dashboard): ids, instants, a clock's kind and state.
DRILL_IDS = ("assignee_id", "plan_id")
DRILL_INSTANTS = (
    "opened_from",
    "opened_before",
    "resolved_from",
    "resolved_before",
    "due_from",
    "due_before",
)
ALL = "all"


def _instant(value: str | None) -> datetime | None:
    """An ISO 8601 instant from the query string (one without an offset is the provider's wall clock);
    anything else is no filter, as for the queue's other filters."""
    try:
        at = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return at if timezone.is_aware(at) else at.replace(tzinfo=provider.zone())


def _filters(params) -> dict:
    def number(name):
        return form_id(params.get(name, ""))

    breached = params.get("breached")
    statuses = params.getlist("status")
    filters = {
        "statuses": list(Status.values)
        if ALL in statuses
        else [s for s in statuses if s in Status.values] or list(OPEN_STATUSES),
        "team_id": number("team"),
        "priority": params.get("priority") if params.get("priority") in Priority.values else None,
        "category": params.get("category") if params.get("category") in Category.values else None,
        "organisation_id": number("organisation"),
        "breached": True if breached == "1" else (False if breached == "0" else None),
        "mine": params.get("mine") == "1",
        "clock": params.get("clock") if params.get("clock") in Clock.values else None,
        "clock_state": params.get("clock_state")
        if params.get("clock_state") in (ClockState.MET, ClockState.BREACHED)
        else None,
    }
    filters.update({name: number(name.removesuffix("_id")) for name in DRILL_IDS})
    filters.update({name: _instant(params.get(name)) for name in DRILL_INSTANTS})
    return filters


def _when(at: datetime) -> str:
    return f"{provider.local(at):%Y-%m-%d %H:%M}"


def _drill_lines(filters: dict) -> list[str]:
    """The dashboard's narrowing of this queue, in words ("Opened from 2026-11-01 00:00 to ..."), so that the
    list explains the figure it came from. At most two small reads (the assignee's and the plan's names)."""
    lines = []
    for name, sentence in (
        ("opened", _("Opened from %(start)s to %(end)s")),
        ("resolved", _("Resolved from %(start)s to %(end)s")),
        ("due", _("Due from %(start)s to %(end)s")),
    ):
        start, end = filters.get(f"{name}_from"), filters.get(f"{name}_before")
        if start or end:
            lines.append(
                sentence % {"start": _when(start) if start else "…", "end": _when(end) if end else "…"}
            )
    if filters.get("clock") or filters.get("clock_state"):
        clock = CLOCK_LABEL.get(filters.get("clock") or "", _("Any clock"))
        states: dict[str, str] = {ClockState.MET: _("met"), ClockState.BREACHED: _("breached")}
        state = states.get(filters.get("clock_state") or "")
        lines.append(f"{clock}: {state}" if state else str(clock))
    if filters.get("assignee_id"):
        who = User.objects.filter(pk=filters["assignee_id"]).first()
        lines.append(_("Assigned to %(name)s") % {"name": who.display_name if who else "?"})
    if filters.get("plan_id"):
        plan = SlaPlan.objects.filter(pk=filters["plan_id"]).values_list("name", flat=True).first()
        lines.append(_("Plan %(name)s") % {"name": plan or "?"})
    return lines


EVERY_STATUS = frozenset(Status.values)


@functools.lru_cache(maxsize=4096)
def _param(name: str, value: str) -> str:
    """``name=value`` as a query string writes it. The dashboard writes some 200 links per page, most with the
    same period, statuses and scope: each pair is encoded once per worker, not once per link."""
    return urlencode([(name, value)])


@functools.lru_cache(maxsize=1024)
def _local_iso(at: datetime, zone: tzinfo) -> str:
    return timezone.localtime(at, zone).isoformat()


def queue_query(filters: dict) -> str:
    """The query string of the queue that ``_filters`` reads back as ``filters`` (the dashboard's links)."""
    params: list[tuple[str, str]] = []
    statuses = filters.get("statuses") or []
    if set(statuses) == EVERY_STATUS:
        params.append(("status", ALL))
    else:
        params += [("status", str(s)) for s in statuses]
    names = {
        "team_id": "team",
        "organisation_id": "organisation",
        "assignee_id": "assignee",
        "plan_id": "plan",
    }
    for key in ("team_id", "organisation_id", "assignee_id", "plan_id", "priority", "category", "clock"):
        if filters.get(key) not in (None, ""):
            params.append((names.get(key, key), str(filters[key])))
    if filters.get("clock_state"):
        params.append(("clock_state", str(filters["clock_state"])))
    if filters.get("breached") is not None:
        params.append(("breached", "1" if filters["breached"] else "0"))
    for key in DRILL_INSTANTS:
        if filters.get(key) is not None:
            params.append((key, _local_iso(filters[key], provider.zone())))
    return "&".join(_param(name, value) for name, value in params)


def page_cursor(params) -> tuple[datetime | None, int] | None:
    """The ``after`` cursor of a queue link ("<due instant, or ->~<id>"), or None: the first page."""
    due_text, _sep, pk_text = params.get("after", "").partition("~")
    pk = form_id(pk_text)
    if pk is None:
        return None
    if due_text == "-":
        return (None, pk)
    try:
        due = datetime.fromisoformat(due_text)
    except ValueError:
        return None
    return (due, pk) if due.tzinfo is not None else None


def cursor_of(ticket: Ticket) -> str:
    due = ticket.next_due_at.isoformat() if ticket.next_due_at else "-"
    return f"{due}~{ticket.pk}"


def filters_query(params) -> str:
    """The query string of the filters alone, without the page's cursor."""
    kept = params.copy()
    for name in ("after", "offset"):
        kept.pop(name, None)
    return kept.urlencode()


def fingerprint(ids: list[int], versions: dict[int, int], now) -> str:
    """The ETag of a page of the queue: its ids, their versions and the minute (the badges' time left moves
    with it). A new, gone or changed ticket changes it."""
    seen = [(pk, versions.get(pk)) for pk in ids], now.replace(second=0, microsecond=0).isoformat()
    return '"' + hashlib.blake2s(repr(seen).encode(), digest_size=12).hexdigest() + '"'


def queue_fingerprint(user: User, params, now) -> tuple[list[int], str]:
    """The ids of one page of the queue and its fingerprint, without reading the rows (the poller's
    question: has anything changed?)."""
    ids = queue_page(user, limit=PAGE, after=page_cursor(params), **_filters(params))
    versions = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "version"))
    return ids, fingerprint(ids, versions, now)


def queue_rows(ids: list[int], now) -> list[Ticket]:
    """The page's tickets in the queue's order, with what a row shows (two queries)."""
    rows = Ticket.objects.filter(pk__in=ids).select_related("organisation", "team", "assignee", "requester")
    by_id = {t.pk: t for t in rows}
    badges = next_due_badges(ids, now)
    for t in rows:
        t.due_badge = badges.get(t.pk)  # type: ignore[attr-defined]
    return [by_id[pk] for pk in ids if pk in by_id]


def _staff_people():
    """Who a ticket may be assigned to: the provider's active staff."""
    return User.objects.exclude(kind=User.Kind.CUSTOMER).filter(is_active=True).order_by("username")


MOST_VIEWS = 20  # saved views counted on the queue page (one count each)


def _views(user: User) -> list[dict]:
    """The user's saved views with how many tickets each holds now."""
    views = list(user.saved_views.all()[:MOST_VIEWS])
    return [{"view": v, "count": queue(user, **_filters(QueryDict(v.query))).count()} for v in views]


@staff_only
def queue_view(request):
    """Tickets in the order they fall due (none first that has no deadline), 50 a page read from where the
    last one ended (as fast on page 1,000 as on page 1), with counts; the page polls its rows."""
    now = timezone.now()
    filters = _filters(request.GET)
    ids = queue_page(request.user, limit=PAGE, after=page_cursor(request.GET), **filters)
    tickets = queue_rows(ids, now)
    etag = fingerprint(ids, {t.pk: t.version for t in tickets}, now)
    base = filters_query(request.GET)
    return render(
        request,
        "console/queue.html",
        {
            "tickets": tickets,
            "etag": etag,
            "total": queue(request.user, **filters).count(),
            "drill": _drill_lines(filters),
            "now": now,
            "soon": now + SOON,
            "paged": "after" in request.GET,
            "next_query": f"{base}&{urlencode({'after': cursor_of(tickets[-1])})}".lstrip("&")
            if len(tickets) == PAGE
            else None,
            "f": filters,
            "query": base,
            "teams": Team.objects.order_by("name"),
            "staff": _staff_people(),
            "organisations": Organisation.objects.order_by("name"),
            "priorities": Priority.choices,
            "categories": Category.choices,
            "statuses": Status.choices,
            "views": _views(request.user),
        },
    )


@staff_only
@require_POST
def save_view(request):
    query = request.POST.get("query", "")[:1000]
    try:
        view = console_services.view_save(user=request.user, name=request.POST.get("name", ""), query=query)
    except ValidationError as exc:
        for line in error_lines(exc):
            messages.error(request, line)
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"/console/?{query}")


@staff_only
def ticket_view(request, ref: str):
    t = ticket_get(request.user, ref)
    now = timezone.now()
    return render(
        request,
        "console/ticket.html",
        {
            "t": t,
            "messages_": conversation(t, request.user).prefetch_related("attachments"),
            "clocks": clock_badges(t, now),
            "context": ticket_context(request.user, t, now),
            "history": ticket_history(t, request.user),
            "merged_into": merge_target(request.user, t),
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "staff": _staff_people(),
            "teams": Team.objects.order_by("name"),
            "canned": _canned(),
        },
    )


def _canned():
    return CannedReply.objects.order_by("title")


def _act(request, ref: str, action, done: str):
    t = ticket_get(request.user, ref)
    try:
        action(t)
    except (ValidationError, Conflict) as exc:
        for line in error_lines(exc):
            messages.error(request, line)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("console-ticket", ref=t.reference)


def _version(request) -> int | None:
    return form_id(request.POST.get("version", ""))


@staff_only
@require_POST
def reply(request, ref: str):
    body, internal = request.POST.get("body", ""), request.POST.get("internal") == "1"
    return _act(
        request,
        ref,
        lambda t: services.ticket_reply(
            actor=request.user, door=DOOR, ticket=t, body=body, internal=internal
        ),
        "Internal note added." if internal else "Reply sent.",
    )


@staff_only
@require_POST
def change(request, ref: str):
    def act(t):
        kwargs: dict = {name: request.POST[name] for name in ("status", "priority") if request.POST.get(name)}
        kwargs.update(assignment_from(request))
        services.ticket_change(
            actor=request.user, door=DOOR, ticket=t, expected_version=_version(request), **kwargs
        )

    return _act(request, ref, act, "Ticket updated.")


def assignment_from(request) -> dict:
    """The assignee and team the form names: "me", nobody (an empty assignee), or an id the services look
    up (one that names no one is refused, field by field; never read as nobody)."""
    kwargs: dict = {}
    if "assignee" in request.POST:
        value = request.POST["assignee"]
        if value == "me":
            kwargs["assignee"] = request.user
        else:
            kwargs["assignee"] = services.check_assignee(_named_id(value, "assignee"))
    if request.POST.get("team"):
        kwargs["team"] = services.check_team(_named_id(request.POST["team"], "team"))
    return kwargs


def _named_id(value: str, field: str) -> int | None:
    """The id a form field holds (None when left empty); anything else is refused, naming the field."""
    if value == "":
        return None
    pk = form_id(value)
    if pk is None:
        raise ValidationError({field: f"{value[:40]!r} is not an id."})
    return pk


@staff_only
@require_POST
def intervention(request, ref: str):
    return _act(
        request,
        ref,
        lambda t: services.ticket_start_intervention(
            actor=request.user, door=DOOR, ticket=t, expected_version=_version(request)
        ),
        "Intervention started.",
    )


@staff_only
@require_POST
def merge(request, ref: str):
    into = request.POST.get("into", "").strip()

    def act(t):
        try:
            target = ticket_get(request.user, into)
        except NotFound:
            raise ValidationError({"into": f"No ticket {into} you can see."}) from None
        services.ticket_merge(actor=request.user, door=DOOR, ticket=t, into=target)

    return _act(request, ref, act, f"Merged into {into}.")


@staff_only
@require_POST
def quote(request, ref: str):
    def act(t):
        try:
            amount = Decimal(request.POST.get("amount", "").replace(",", "."))
        except InvalidOperation:
            raise ValidationError({"amount": "Give the price, e.g. 150.00."}) from None
        services.quote_send(
            actor=request.user,
            door=DOOR,
            ticket=t,
            amount=amount,
            currency=request.POST.get("currency") or "EUR",
            description=request.POST.get("description", ""),
        )

    return _act(request, ref, act, "Quote sent; the ticket waits for the customer's answer.")
