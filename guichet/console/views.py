"""The agents' console: claims waiting for an account manager's decision (the rest of the console — queues,
ticket view, dashboards — is issue 6). Staff only."""

from __future__ import annotations

import csv
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from guichet import provider
from guichet.audit.models import Door
from guichet.billing import claims as claim_services
from guichet.billing.models import Claim
from guichet.billing.selectors import claims_visible_to
from guichet.customers.access import error_lines, staff_only
from guichet.customers.models import BackOfficeRequest
from guichet.customers.permissions import may_see_dashboard
from guichet.customers.services import backoffice_done as done
from guichet.errors import PermissionDenied, ValidationError
from guichet.formats import money_text
from guichet.money.intervals import format_duration

from . import reports
from .forms import DashboardFilters


@staff_only
def claims(request):
    status = request.GET.get("status", Claim.Status.FILED)
    rows = claims_visible_to(request.user).select_related("organisation")
    if status:
        rows = rows.filter(status=status)
    return render(
        request,
        "console/claims.html",
        {"claims": rows.order_by("filed_at", "pk")[:200], "status": status, "statuses": Claim.Status.choices},
    )


def _claim(request, pk: int) -> Claim:
    claim = claims_visible_to(request.user).select_related("organisation").filter(pk=pk).first()
    if claim is None:
        raise Http404("No such claim.")
    return claim


def _page(request, claim: Claim, errors: list[str], status: int = 200):
    return render(
        request,
        "console/claim.html",
        {
            "claim": claim,
            "proposed": money_text(claim.proposed_amount, claim.currency),
            "approved": money_text(claim.approved_amount, claim.currency)
            if claim.approved_amount is not None
            else None,
            "verified": format_duration(claim.verified_seconds),
            "computation": claim.computation_in(get_language()),
            "errors": errors,
            "values": request.POST,
        },
        status=status,
    )


@staff_only
def claim(request, pk: int):
    return _page(request, _claim(request, pk), [])


@staff_only
@require_POST
def decide(request, pk: int):
    found = _claim(request, pk)
    try:
        claim_services.claim_decide(
            actor=request.user,
            door=Door.WEB,
            claim=found,
            decision=request.POST.get("decision", ""),
            amount=request.POST.get("amount") or None,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        return _page(request, found, error_lines(exc), 400)
    except PermissionDenied as exc:
        return _page(request, found, [str(exc)], 403)
    messages.success(request, _("Decision recorded; the customer is told by mail."))
    return redirect("console-claim", pk=pk)


@staff_only
def dashboard(request):
    """The supervisors' dashboard for a period, team, plan and organisation (all in the query string, so a
    view of it can be bookmarked): tickets, SLA compliance, backlog, agents' load, availability, credits;
    every ticket figure links to the queue listing its tickets. ``?format=csv``: the same figures as CSV."""

    if not may_see_dashboard(request.user):
        raise Forbidden("The dashboard is for supervisors, account managers and admins.")
    form = DashboardFilters(request.GET)
    now = timezone.now()
    scope = form.scope(now)
    if scope is None:
        return render(
            request, "console/dashboard.html", {"form": form, "errors": form.error_lines()}, status=400
        )
    sort = form.cleaned_data["sort"] or "-open"
    parts = reports.counting(request.user, scope)
    current = reports.open_now(request.user, scope, now)
    tickets = reports.ticket_bars(request.user, scope, now, parts, current)
    sla = reports.compliance(request.user, scope, parts)
    month, availability = reports.availability(scope, now)
    charts = [
        ("tickets", _("Tickets in the period"), tickets["tickets"]),
        ("backlog", _("Tickets opened in the period and still open, by age"), tickets["backlog"]),
        (
            "availability",
            _("Availability in %(month)s (services with an outage)") % {"month": month},
            availability,
        ),
        ("credits", _("Credits issued in the period"), reports.credits(scope)),
    ]
    if request.GET.get("format") == "csv":
        return _csv(charts, sla)
    return render(
        request,
        "console/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "first_day": provider.local(scope.start).date(),
            # In the provider's zone, as the period's days (the template's date filter would use UTC).
            "as_of": f"{provider.local(sla['as_of']):%Y-%m-%d %H:%M}" if sla["as_of"] else None,
            "last_day": provider.local(scope.end - timedelta(microseconds=1)).date(),
            "charts": charts,
            "sla": sla,
            "agents": reports.agents(request.user, scope, now, sort, parts, current),
            "columns": _columns(request.GET, sort),
            "csv": _with(request.GET, format="csv"),
        },
    )


AGENT_COLUMNS = [
    ("agent", _("Agent")),
    ("open", _("Open tickets assigned")),
    ("breached", _("of which breached")),
    ("due_soon", _("due within the hour")),
    ("resolved", _("Resolved in the period")),
    ("first_response", _("First responses in time")),
]


def _columns(params, sort: str) -> list[dict]:
    """The agents' table's headers: a link sorting by the column (the largest first, but names from A; the
    same column again reverses), and the order it is in for assistive technologies."""
    columns = []
    for key, label in AGENT_COLUMNS:
        ascending = key == "agent"
        state = "ascending" if sort == key else ("descending" if sort == f"-{key}" else "")
        first = key if ascending else f"-{key}"
        again = f"-{key}" if sort == key else key
        columns.append(
            {"label": label, "url": "?" + _with(params, sort=again if state else first), "sort": state}
        )
    return columns


def _with(params, **changes) -> str:
    query = params.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


def _csv(charts, sla) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dashboard.csv"'
    writer = csv.writer(response)
    writer.writerow(["chart", "label", "value"])
    for key, _title, bars in charts:
        for bar in bars:
            writer.writerow([key, bar.label, bar.text])
    for line in sla["by_clock"]:
        writer.writerow(["compliance", line["clock"], line["percent"]])
    for line in sla["by_plan"]:
        label = f"{line['row'].plan} / {line['priority']} / {line['clock']}"
        writer.writerow(["compliance_by_plan", label, line["percent"]])
    return response


@staff_only
def backoffice(request):
    """Management acts waiting for the back office, the first due first."""

    pending = (
        BackOfficeRequest.objects.filter(done_at__isnull=True)
        .select_related("organisation", "requested_by")
        .order_by("due_at", "pk")[:200]
    )
    return render(request, "console/backoffice.html", {"requests": pending, "now": timezone.now()})


@staff_only
@require_POST
def backoffice_done(request, pk: int):

    found = BackOfficeRequest.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such request.")
    done(actor=request.user, door=Door.WEB, request=found)
    messages.success(request, _("Marked as done."))
    return redirect("console-backoffice")
