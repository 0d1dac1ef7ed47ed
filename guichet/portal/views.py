"""The customer extranet: a thin door onto the services and selectors of contracts, availability and
billing. Every page starts from the signed-in contact's organisation; anything else is 404."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from guichet import provider
from guichet.audit.models import Door
from guichet.availability.services import monthly
from guichet.billing import claims as claim_services
from guichet.billing.models import Claim, CreditKind
from guichet.billing.selectors import claims_visible_to, invoice_get, invoices_visible_to, may_see_invoices
from guichet.contracts import explain as contract_explain
from guichet.contracts import services as contract_services
from guichet.contracts.models import Suspension
from guichet.contracts.selectors import subscriptions_visible_to
from guichet.customers.access import chosen, customer_only, error_lines, field_errors
from guichet.errors import NotFound, PermissionDenied, ValidationError
from guichet.formats import money_text, month_text
from guichet.money.terms import previous_month
from guichet.tickets.models import OPEN_STATUSES
from guichet.tickets.selectors import tickets_visible_to

DOOR = Door.WEB

# The labels of the fields a service's refusal names, as the pages show them: an error reads "End of the
# outage: …", never "outage_end: …" (what no field shows reads as its message alone).
SERVICE_LABELS = {"reason": gettext_lazy("Reason"), "note": gettext_lazy("Note")}
CLAIM_LABELS = {
    "subscription_id": gettext_lazy("Service"),
    "kind": gettext_lazy("What failed"),
    "ticket": gettext_lazy("Ticket number"),
    "outage_start": gettext_lazy("Start of the outage"),
    "outage_end": gettext_lazy("End of the outage"),
    "description": gettext_lazy("Description"),
    "customer_name": gettext_lazy("Customer name"),
    "customer_contact": gettext_lazy("Contact for the answer"),
}


def _months_back(today, n: int) -> list[tuple[int, int]]:
    year, month, out = today.year, today.month, []
    for _ in range(n):
        out.append((year, month))
        year, month = previous_month(year, month)
    return out


@customer_only
def home(request):
    user = request.user
    organisation = user.contact.organisation
    today = provider.today()
    tickets = list(
        tickets_visible_to(user).filter(status__in=OPEN_STATUSES).order_by("next_due_at", "pk")[:10]
    )
    services = [
        (s, monthly(s, today.year, today.month))
        for s in subscriptions_visible_to(user).exclude(status="terminated").order_by("pk")[:20]
    ]
    sees_invoices = may_see_invoices(user)
    invoices = list(invoices_visible_to(user)[:5]) if sees_invoices else []
    claims = list(claims_visible_to(user).filter(status=Claim.Status.FILED)[:5])
    return render(
        request,
        "portal/home.html",
        {
            "organisation": organisation,
            "manager": organisation.account_manager,
            "tickets": tickets,
            "now": timezone.now(),
            "services": services,
            "sees_invoices": sees_invoices,
            "invoices": [(i, money_text(i.total, i.currency)) for i in invoices],
            "claims": claims,
        },
    )


@customer_only
def services(request):
    rows = subscriptions_visible_to(request.user).order_by("status", "service__name", "identifier")
    return render(request, "portal/services.html", {"subscriptions": rows})


def _subscription(request, pk: int):
    subscription = subscriptions_visible_to(request.user).filter(pk=pk).first()
    if subscription is None:
        raise Http404("No such service.")
    return subscription


@customer_only
def service(request, pk: int):
    subscription = _subscription(request, pk)
    today = provider.today()
    months = [(month_text(y, m), monthly(subscription, y, m)) for y, m in _months_back(today, 6)]
    return render(
        request,
        "portal/service.html",
        {
            "s": subscription,
            "fee": money_text(subscription.monthly_fee, subscription.currency),
            "milestones": subscription.milestones.order_by("at", "pk"),
            "months": months,
            "suspension": subscription.suspensions.filter(resumed_at__isnull=True).first(),
            "termination": subscription.terminations.filter(withdrawn_at__isnull=True).first(),
            "reasons": Suspension.Reason.choices,
        },
    )


def _act(request, pk: int, action, done: str):
    subscription = _subscription(request, pk)
    try:
        action(subscription)
    except ValidationError as exc:
        for line in error_lines(exc, SERVICE_LABELS):
            messages.error(request, line)
        return redirect("portal-service", pk=pk)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    messages.success(request, done)
    return redirect("portal-service", pk=pk)


@customer_only
@require_POST
def suspend(request, pk: int):
    reason, note = request.POST.get("reason", ""), request.POST.get("note", "")
    return _act(
        request,
        pk,
        lambda s: contract_services.subscription_suspend(
            actor=request.user, door=DOOR, subscription=s, reason=reason, note=note
        ),
        gettext("The line is suspended."),
    )


@customer_only
@require_POST
def resume(request, pk: int):
    return _act(
        request,
        pk,
        lambda s: contract_services.subscription_resume(actor=request.user, door=DOOR, subscription=s),
        gettext("The line is back in service."),
    )


@customer_only
def terminate(request, pk: int):
    """GET: the earliest end the terms allow, before confirming. POST: the request."""
    subscription = _subscription(request, pk)
    if request.method == "POST":
        return _act(
            request,
            pk,
            lambda s: contract_services.termination_request(actor=request.user, door=DOOR, subscription=s),
            gettext("Your termination request is recorded; a confirmation is on its way by mail."),
        )
    try:
        termination = contract_services.termination_preview(subscription)
    except ValidationError as exc:
        for line in error_lines(exc, SERVICE_LABELS):
            messages.error(request, line)
        return redirect("portal-service", pk=pk)
    return render(
        request,
        "portal/terminate.html",
        {
            "s": subscription,
            "termination": termination,
            "explanation": contract_explain.termination(termination),
        },
    )


@customer_only
def invoices(request):
    rows = [(i, money_text(i.total, i.currency)) for i in invoices_visible_to(request.user)[:200]]
    return render(request, "portal/invoices.html", {"invoices": rows})


@customer_only
def invoice(request, pk: int):
    found = invoice_get(request.user, pk)  # another organisation's: 404; a technical contact's own: 403
    lines = [(line.description, money_text(line.amount, found.currency)) for line in found.lines.all()]
    totals = {
        "subtotal": money_text(found.subtotal, found.currency),
        "vat": money_text(found.vat_amount, found.currency),
        "total": money_text(found.total, found.currency),
    }
    return render(request, "portal/invoice.html", {"invoice": found, "lines": lines, **totals})


@customer_only
def claims(request):
    rows = claims_visible_to(request.user)[:200]
    return render(request, "portal/claims.html", {"claims": rows, "money": money_text})


def _instant(value: str, tz: ZoneInfo, field: str) -> datetime | None:
    """A datetime-local field's value (no zone) in the viewer's time zone; None when empty (the service
    names what is missing), a ``ValidationError`` on ``field`` when it is no date and time."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but not in the calendar: 2026-02-30
        parsed = None
    if parsed is None:
        raise ValidationError(
            {field: gettext("Not a date and time of the calendar: write it as 2026-11-03 09:00.")}
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _beside(exc: ValidationError) -> dict[str, str]:
    return {field: " ".join(msgs) for field, msgs in field_errors(exc).items() if field in CLAIM_LABELS}


@customer_only
def claim_new(request):
    """The guided claim form: each part the policy asks for, marked required, and the window shown; what is
    still missing is named, part by part, when it is sent."""
    user = request.user
    tz = ZoneInfo(user.time_zone or "UTC")
    subscriptions = subscriptions_visible_to(user).order_by("service__name", "identifier")
    # The latest 50 not merged into another (a claim names the ticket the work went on): read in order from
    # the partial index ticket_org_opened (they were all sorted: ~100 ms at 50,000 tickets per organisation).
    tickets = tickets_visible_to(user).filter(merged_into__isnull=True).order_by("-opened_at", "-pk")[:50]
    window = provider.claimable_month()
    values = {
        "customer_name": user.contact.organisation.name,
        "customer_contact": user.email,
        **{k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
    }
    errors: list[str] = []  # every refusal, each field named by its label (the summary above the form)
    beside: dict[str, str] = {}  # each field's, shown beside it
    status = 200
    if request.method == "POST":
        try:
            subscription = chosen(
                subscriptions,
                values.get("subscription_id"),
                "subscription_id",
                gettext("Choose the service the claim is about."),
            )
            claim = claim_services.claim_file(
                actor=user,
                door=DOOR,
                subscription=subscription,
                kind=values.get("kind") or CreditKind.DOWNTIME,
                customer_name=values.get("customer_name"),
                customer_contact=values.get("customer_contact"),
                outage_start=_instant(values.get("outage_start", ""), tz, "outage_start"),
                outage_end=_instant(values.get("outage_end", ""), tz, "outage_end"),
                ticket=values.get("ticket"),
                description=values.get("description"),
                metric=values.get("metric") or None,
            )
        except ValidationError as exc:
            errors, beside, status = error_lines(exc, CLAIM_LABELS), _beside(exc), 400
        except (NotFound, ValueError):
            refusal = ValidationError({"subscription_id": gettext("Choose the service the claim is about.")})
            errors, beside, status = error_lines(refusal, CLAIM_LABELS), _beside(refusal), 400
        else:
            messages.success(
                request,
                gettext("Claim %(pk)s is filed; you will get the decision by mail.") % {"pk": claim.pk},
            )
            return redirect("portal-claims")
    return render(
        request,
        "portal/claim_new.html",
        {
            "subscriptions": subscriptions,
            "tickets": tickets,
            "kinds": CreditKind.choices,
            "window": window,
            "window_text": provider.claim_window_message(),
            "values": values,
            "errors": errors,
            "beside": beside,
            "tz": tz.key,
        },
        status=status,
    )
