"""Outages in the console: what is down now, the maintenance to come, the recent outages; the NOC declares,
changes and ends them and announces a maintenance (``availability.services``, which check who may)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guichet.audit.models import Door
from guichet.availability import services
from guichet.availability.models import Cause, Outage
from guichet.availability.selectors import maintenance_recipients, outage_board, outage_get
from guichet.contracts.models import Subscription
from guichet.contracts.selectors import subscriptions_visible_to
from guichet.customers.access import staff_only
from guichet.customers.permissions import may_declare_outages
from guichet.errors import ValidationError

from .fields import labelled, local_input, local_instant, optional_instant, say_errors
from .templatetags.console_labels import CAUSES as CAUSE_LABELS

LABELS = {
    "subscription_ids": gettext_lazy("Services affected"),
    "cause": gettext_lazy("Cause"),
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "started_at": gettext_lazy("Start"),
    "ended_at": gettext_lazy("End"),
}
CAUSES = list(CAUSE_LABELS.items())  # the declare form's choices, in their order


def _subscriptions(request) -> list[Subscription]:
    """The subscriptions the form names by identifier, one a line; an unknown one is refused by name."""
    wanted = [line.strip() for line in request.POST.get("services", "").splitlines() if line.strip()]
    found = list(subscriptions_visible_to(request.user).filter(identifier__in=wanted).order_by("pk"))
    missing = sorted(set(wanted) - {s.identifier for s in found})
    if missing:
        raise ValidationError(
            {"subscription_ids": _("No service %(names)s.") % {"names": ", ".join(missing)}}
        )
    return found


def _board(request, errors: list[str], status: int = 200):
    now = timezone.now()
    return render(
        request,
        "console/outages.html",
        {
            "board": outage_board(request.user, now),
            "may_declare": may_declare_outages(request.user),
            "causes": CAUSES,
            "errors": errors,
            "values": request.POST or {"started_at": local_input(now), "cause": Cause.INCIDENT},
        },
        status=status,
    )


@staff_only
def outages(request):
    return _board(request, [])


@staff_only
@require_POST
def declare(request):
    try:
        outage = services.outage_declare(
            actor=request.user,
            door=Door.WEB,
            subscriptions=_subscriptions(request),
            started_at=local_instant(request.POST.get("started_at", ""), "started_at"),
            ended_at=optional_instant(request.POST.get("ended_at", ""), "ended_at"),
            cause=request.POST.get("cause", ""),
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        )
    except ValidationError as exc:
        return _board(request, labelled(exc, LABELS), 400)
    messages.success(request, _("Outage declared."))
    return redirect("console-outage", pk=outage.pk)


def _page(request, outage: Outage, errors: list[str], status: int = 200):
    lines = list(outage.subscriptions.all())
    return render(
        request,
        "console/outage.html",
        {
            "outage": outage,
            "lines": lines,
            "excluded": services.excluded(outage),
            "recipients": maintenance_recipients(outage) if outage.cause == Cause.MAINTENANCE else [],
            "may_declare": may_declare_outages(request.user),
            "errors": errors,
            "values": request.POST
            or {
                "title": outage.title,
                "description": outage.description,
                "services": "\n".join(s.identifier for s in lines),
                "ended_at": local_input(outage.ended_at or timezone.now()),
            },
        },
        status=status,
    )


@staff_only
def outage(request, pk: int):
    return _page(request, outage_get(request.user, pk), [])


@staff_only
@require_POST
def update(request, pk: int):
    found = outage_get(request.user, pk)
    try:
        services.outage_update(
            actor=request.user,
            door=Door.WEB,
            outage=found,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            subscriptions=_subscriptions(request),
        )
    except ValidationError as exc:
        return _page(request, found, labelled(exc, LABELS), 400)
    messages.success(request, _("Outage updated."))
    return redirect("console-outage", pk=pk)


@staff_only
@require_POST
def end(request, pk: int):
    found = outage_get(request.user, pk)
    try:
        ended_at = local_instant(request.POST.get("ended_at", ""), "ended_at")
        services.outage_end(actor=request.user, door=Door.WEB, outage=found, ended_at=ended_at)
    except ValidationError as exc:
        return _page(request, found, labelled(exc, LABELS), 400)
    messages.success(request, _("End recorded."))
    return redirect("console-outage", pk=pk)


@staff_only
@require_POST
def announce(request, pk: int):
    found = outage_get(request.user, pk)
    try:
        services.maintenance_announce(actor=request.user, door=Door.WEB, outage=found)
    except ValidationError as exc:
        say_errors(request, exc, LABELS)
    else:
        messages.success(request, _("Maintenance announced: its contacts are being mailed."))
    return redirect("console-outage", pk=pk)
