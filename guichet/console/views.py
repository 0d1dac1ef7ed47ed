"""The agents' console: claims waiting for an account manager's decision (the rest of the console — queues,
ticket view, dashboards — is issue 6). Staff only."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

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
    """Charts of SLA compliance, breaches, backlog, availability and credits; ``?format=csv`` gives the same
    figures as CSV."""

    if not may_see_dashboard(request.user):
        raise Forbidden("The dashboard is for supervisors, account managers and admins.")
    sla = reports.compliance()
    charts = [
        ("compliance", _("SLA compliance by month of opening"), sla["months"]),
        ("breaches", _("Clocks breached by month of opening"), sla["breaches"]),
        ("backlog", _("Open tickets by age"), reports.backlog()),
        ("availability", _("Availability this month (services with an outage)"), reports.availability()),
        ("credits", _("Credits issued by month"), reports.credits()),
    ]
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="dashboard.csv"'
        writer = csv.writer(response)
        writer.writerow(["chart", "label", "value"])
        for key, _title, bars in charts:
            for bar in bars:
                writer.writerow([key, bar.label, bar.text])
        for row in sla["by_plan"]:
            writer.writerow(
                ["compliance_by_plan", f"{row['plan']} / {row['priority']}", f"{row['percent']} %"]
            )
        return response
    return render(
        request,
        "console/dashboard.html",
        {"charts": charts, "by_plan": sla["by_plan"], "as_of": sla["as_of"]},
    )


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
