"""The console's working tools around the queue and the ticket page: the live queue (rows polled with cheap
conditional requests), bulk actions, macros and canned replies filled for the ticket, who else is looking at
a ticket, and the merge target's search. Each act goes through a service."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from guichet.customers.access import error_lines, form_id, staff_only
from guichet.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guichet.tickets import bulk
from guichet.tickets.models import OPEN_STATUSES, Ticket
from guichet.tickets.selectors import ticket_get, tickets_visible_to

from . import services
from .models import CannedReply
from .tickets import DOOR, SOON, assignment_from, queue_fingerprint, queue_rows

LIVE_HEADER = "X-Queue-Live"


@staff_only
@require_GET
def live_rows(request):
    """The queue's rows for the page's poller: 304 when nothing changed since the fingerprint the page holds
    (If-None-Match), else the rows (an HTML fragment) with their new fingerprint in the ETag."""
    now = timezone.now()
    ids, etag = queue_fingerprint(request.user, request.GET, now)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        context = {"tickets": queue_rows(ids, now), "now": now, "soon": now + SOON}
        response = render(request, "console/_queue_rows.html", context)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache, private"
    return response


def _selected(request) -> list[Ticket]:
    """The tickets ticked on the queue page, found only among those the user may see."""
    ids = {pk for pk in (form_id(v) for v in request.POST.getlist("ticket")) if pk is not None}
    found = list(tickets_visible_to(request.user).filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({"tickets": _("Some of the selected tickets are no longer in your queue.")})
    return found


def _back_to_queue(request):
    return redirect("/console/?" + request.POST.get("query", ""))


@staff_only
@require_POST
def bulk_action(request):
    """Assign, hand to a team, change status or priority of the ticked tickets, or merge them into one."""
    try:
        tickets = _selected(request)
        if request.POST.get("do") == "merge":
            into = request.POST.get("merge_into", "").strip()
            if not into:
                raise ValidationError(
                    {"merge_into": _("Give the reference of the ticket to merge them into.")}
                )
            try:
                target = ticket_get(request.user, into)
            except NotFound:
                raise ValidationError(
                    {"merge_into": _("No ticket %(ref)s you can see.") % {"ref": into}}
                ) from None
            done = bulk.tickets_merge(actor=request.user, door=DOOR, tickets=tickets, into=target)
            messages.success(
                request,
                ngettext("%(n)d ticket merged into %(ref)s.", "%(n)d tickets merged into %(ref)s.", done)
                % {"n": done, "ref": target.reference},
            )
            return _back_to_queue(request)
        kwargs: dict = {name: request.POST[name] for name in ("status", "priority") if request.POST.get(name)}
        kwargs.update(assignment_from(request))
        if request.POST.get("assignee", "") == "":  # here an empty assignee leaves each ticket's as it is
            kwargs.pop("assignee", None)
        done = bulk.tickets_change(actor=request.user, door=DOOR, tickets=tickets, **kwargs)
    except (ValidationError, Conflict, PermissionDenied) as exc:
        for line in error_lines(exc):
            messages.error(request, line)
    else:
        messages.success(
            request, ngettext("%(n)d ticket updated.", "%(n)d tickets updated.", done) % {"n": done}
        )
    return _back_to_queue(request)


@staff_only
@require_GET
def canned_fill(request, ref: str):
    """The text of the canned reply ``?id=`` filled for the ticket (the page puts it in the message box)."""
    ticket = ticket_get(request.user, ref)
    pk = form_id(request.GET.get("id"))
    canned = get_object_or_404(CannedReply, pk=pk) if pk is not None else None
    if canned is None:
        raise Http404("No such canned reply.")
    return JsonResponse(
        {"text": services.canned_text(canned, ticket=ticket, agent=request.user), "macro": canned.is_macro}
    )


@staff_only
@require_POST
def macro(request, ref: str):
    """Send the reply the agent wrote from a canned reply, then make the macro's changes. Without
    JavaScript the message box may be left empty: the canned text, filled for the ticket, is sent."""
    ticket = ticket_get(request.user, ref)
    canned_id = form_id(request.POST.get("canned"))
    canned = CannedReply.objects.filter(pk=canned_id).first() if canned_id is not None else None
    try:
        if canned is None:
            raise ValidationError({"canned": _("Choose a canned reply or a macro.")})
        body = request.POST.get("body", "")
        if not body.strip():
            body = services.canned_text(canned, ticket=ticket, agent=request.user)
        services.macro_apply(
            actor=request.user,
            door=DOOR,
            ticket=ticket,
            canned=canned,
            body=body,
            expected_version=form_id(request.POST.get("version", "")),
        )
    except (ValidationError, Conflict, PermissionDenied) as exc:
        for line in error_lines(exc):
            messages.error(request, line)
    else:
        messages.success(request, _("“%(title)s” applied.") % {"title": canned.title})
    return redirect("console-ticket", ref=ticket.reference)


@staff_only
def presence(request, ref: str):
    """POST: the page's heartbeat (composing=1 while the agent types an answer). Either way, the other agents
    who have the ticket open now, as a short fragment the page shows above the reply box."""
    ticket = ticket_get(request.user, ref)
    if request.method == "POST":
        if request.POST.get("leave") == "1":
            services.presence_leave(user=request.user, ticket=ticket)
            return HttpResponse(status=204)
        services.presence_beat(
            user=request.user, ticket=ticket, composing=request.POST.get("composing") == "1"
        )
    others = services.presence_others(user=request.user, ticket=ticket)
    return render(request, "console/_presence.html", {"others": others, "t": ticket})


@staff_only
@require_GET
def merge_targets(request, ref: str):
    """The open tickets of the same organisation that this one may be merged into, matching what the agent
    typed (reference or words of the subject): at most 20, the most recent first."""
    ticket = ticket_get(request.user, ref)
    typed = request.GET.get("q", "").strip()[:100]
    candidates = (
        tickets_visible_to(request.user)
        .filter(organisation_id=ticket.organisation_id, status__in=OPEN_STATUSES)
        .exclude(pk=ticket.pk)
    )
    for word in typed.split()[:5]:
        candidates = candidates.filter(Q(reference__icontains=word) | Q(subject__icontains=word))
    rows = list(candidates.order_by("-opened_at", "-pk").values("reference", "subject")[:20])
    return render(request, "console/_merge_targets.html", {"targets": rows, "typed": typed})
