"""The extranet's tickets: list, open one (duplicates offered as the customer types, the month's quota
shown, files attached), follow it (messages, clocks and how their due instants came to be), reply, attach,
flag urgent, confirm a resolution or reopen the ticket with a reason."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guichet.audit.models import Door
from guichet.contracts.selectors import subscriptions_visible_to
from guichet.customers.access import chosen, customer_only, error_lines, form_id
from guichet.errors import Conflict, PermissionDenied, QuotaExceeded, ValidationError
from guichet.tickets import services
from guichet.tickets.history import ticket_history
from guichet.tickets.models import OPEN_STATUSES, Category, Channel, Priority
from guichet.tickets.present import clock_badges
from guichet.tickets.search import search_page
from guichet.tickets.selectors import (
    conversation,
    merge_target,
    similar_open_tickets,
    ticket_get,
    tickets_visible_to,
)

DOOR = Door.WEB
SEARCH_PAGE = 50
CUSTOMER_CATEGORIES = Category.choices
# A refusal names the field by the label the page shows it under ("Subject: …"), never by its code.
TICKET_LABELS = {
    "subscription_id": gettext_lazy("Service concerned"),
    "subject": gettext_lazy("Subject"),
    "description": gettext_lazy("Description"),
    "category": gettext_lazy("Category"),
    "priority": gettext_lazy("Priority"),
    "body": gettext_lazy("Your reply"),
    "file": gettext_lazy("Attach a file"),
    "attachments": gettext_lazy("Files"),
}


@customer_only
def tickets(request):
    text = request.GET.get("q", "")[:500]
    if text.strip():
        return _search(request, text)
    show = request.GET.get("show", "open")
    rows = tickets_visible_to(request.user).select_related("subscription__service")
    rows = rows.filter(status__in=OPEN_STATUSES) if show == "open" else rows.exclude(status__in=OPEN_STATUSES)
    order = ("next_due_at", "-opened_at", "-pk") if show == "open" else ("-opened_at", "-pk")
    rows = rows.order_by(*order)
    return render(
        request, "portal/tickets.html", {"tickets": rows[:200], "show": show, "now": timezone.now()}
    )


def _search(request, text: str):
    """The customer's tickets (their organisation's, public messages only) matching ``text``, best first."""
    found = search_page(request.user, text, limit=SEARCH_PAGE)
    rows = tickets_visible_to(request.user).filter(pk__in=found.ids).select_related("subscription__service")
    by_id = {t.pk: t for t in rows}
    return render(
        request,
        "portal/tickets.html",
        {
            "q": text,
            "results": [(by_id[pk], found.excerpts.get(pk, "")) for pk in found.ids if pk in by_id],
            "total": found.total,
            "more": found.more,
            "searching": True,
            "page": SEARCH_PAGE,
        },
    )


@customer_only
@require_GET
def similar(request):
    """The htmx fragment under the new-ticket form: open tickets like what is being typed."""
    contact = request.user.contact
    subject, description = request.GET.get("subject", ""), request.GET.get("description", "")
    found = []
    if len(subject.strip()) >= 3:
        found = similar_open_tickets(
            contact.organisation_id,
            subject,
            description,
            user=request.user,
            subscription_id=form_id(request.GET.get("subscription_id")),
        )
    return render(request, "portal/_similar.html", {"similar": found})


@customer_only
def new(request):
    user = request.user
    organisation = user.contact.organisation
    subscriptions = subscriptions_visible_to(user).exclude(status="terminated").order_by("service__name")
    values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            subscription = None
            if values.get("subscription_id"):
                subscription = chosen(
                    subscriptions,
                    values["subscription_id"],
                    "subscription_id",
                    gettext("Choose one of your services."),
                )
            ticket = services.ticket_create(
                actor=user,
                door=DOOR,
                organisation=organisation,
                requester=user,
                subject=values.get("subject", ""),
                description=values.get("description", ""),
                category=values.get("category") or Category.REQUEST,
                priority=Priority.URGENT
                if values.get("urgent")
                else (values.get("priority") or Priority.MEDIUM),
                channel=Channel.PORTAL,
                subscription=subscription,
                attachments=request.FILES.getlist("attachments"),
            )
        except (ValidationError, QuotaExceeded) as exc:
            errors, status = error_lines(exc, TICKET_LABELS), 400
        else:
            messages.success(request, gettext("%(ref)s is open.") % {"ref": ticket.reference})
            return redirect("portal-ticket", ref=ticket.reference)
    return render(
        request,
        "portal/ticket_new.html",
        {
            "subscriptions": subscriptions,
            "categories": CUSTOMER_CATEGORIES,
            "priorities": [p for p in Priority.choices if p[0] != Priority.URGENT],
            "quota": services.quota_usage(organisation),
            "attachment_limit": settings.GUICHET_ATTACHMENT_MAX_BYTES,
            "values": values,
            "errors": errors,
        },
        status=status,
    )


@customer_only
def ticket(request, ref: str):
    found = ticket_get(request.user, ref)
    return render(
        request,
        "portal/ticket.html",
        {
            "t": found,
            "messages_": conversation(found, request.user).prefetch_related("attachments"),
            "clocks": clock_badges(found, timezone.now(), customer=True),
            "merged_into": merge_target(request.user, found),
            "open": found.status in OPEN_STATUSES,
            "history": ticket_history(found, request.user),
            "decides_quotes": services.may_decide_quote(request.user, found),
        },
    )


def _act(request, ref: str, action, done: str, forbidden: bool = False):
    """Run ``action`` on the contact's ticket and go back to it with a message; ``forbidden``: a service's
    PermissionDenied is the answer (403), not a message (a form the page does not offer to this contact)."""
    found = ticket_get(request.user, ref)
    try:
        action(found)
    except (ValidationError, Conflict) as exc:
        for line in error_lines(exc, TICKET_LABELS):
            messages.error(request, line)
    except PermissionDenied as exc:
        if forbidden:
            raise
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("portal-ticket", ref=found.reference)


@customer_only
@require_POST
def reply(request, ref: str):
    body = request.POST.get("body", "")
    return _act(
        request,
        ref,
        lambda t: services.ticket_reply(
            actor=request.user, door=DOOR, ticket=t, body=body, channel=Channel.PORTAL
        ),
        gettext("Your reply is added."),
    )


@customer_only
@require_POST
def attach(request, ref: str):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(
            request,
            gettext("%(label)s: %(message)s")
            % {"label": TICKET_LABELS["file"], "message": gettext("Choose a file to attach.")},
        )
        return redirect("portal-ticket", ref=ref)
    return _act(
        request,
        ref,
        lambda t: services.ticket_attach(actor=request.user, door=DOOR, ticket=t, upload=upload),
        gettext("%(name)s is attached.") % {"name": upload.name},
    )


@customer_only
@require_POST
def urgent(request, ref: str):
    return _act(
        request,
        ref,
        lambda t: services.ticket_change(
            actor=request.user, door=DOOR, ticket=t, expected_version=None, priority=Priority.URGENT
        ),
        gettext("The ticket is flagged urgent."),
    )


def _answer_resolution(request, ref: str, *, solved: bool, reason: str = ""):
    """The customer's answer to "is it solved?" on a resolved ticket, then back to the ticket with a
    message; a page gone stale (the ticket is no longer resolved) says so rather than failing."""
    found = ticket_get(request.user, ref)
    try:
        services.ticket_confirm_resolution(
            actor=request.user, door=DOOR, ticket=found, solved=solved, reason=reason
        )
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        if "reason" in fields:
            messages.error(request, gettext("Reason: say what is still wrong."))
        elif "status" in fields:
            found.refresh_from_db(fields=["status"])
            messages.error(
                request,
                gettext("%(ref)s is no longer resolved (its status: %(status)s): nothing was changed.")
                % {"ref": found.reference, "status": found.get_status_display()},
            )
        else:
            for line in error_lines(exc):
                messages.error(request, line)
    else:
        done = (
            gettext("Thank you: %(ref)s is closed.")
            if solved
            else gettext("%(ref)s is open again: your reason is added to the conversation.")
        )
        messages.success(request, done % {"ref": found.reference})
    return redirect("portal-ticket", ref=found.reference)


@customer_only
@require_POST
def solved(request, ref: str):
    return _answer_resolution(request, ref, solved=True)


@customer_only
@require_POST
def not_solved(request, ref: str):
    return _answer_resolution(request, ref, solved=False, reason=request.POST.get("reason", ""))


@customer_only
@require_POST
def quote_decision(request, ref: str, pk: int):
    accept = request.POST.get("decision") == "accept"

    def act(t):
        found = t.quotes.filter(pk=pk).first()
        if found is None:  # another ticket's quote, or none: 404, as for a foreign ticket
            raise Http404("No such quote.")
        services.quote_decide(actor=request.user, door=DOOR, quote=found, accept=accept)

    done = gettext("Quote accepted: the work is planned.") if accept else gettext("Quote refused.")
    return _act(request, ref, act, done, forbidden=True)  # a technical contact: 403 (the page hides the form)
