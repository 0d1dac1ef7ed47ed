"""The web chat's pages: the contact's chat panel in the extranet, the agents' chat queue in the console.

Server-rendered, with htmx polling the transcript every few seconds (it stops when the chat has ended:
HTTP 286). Forms post normally (and work without JavaScript); a refused line answers 400 with the reason.
Contacts reach only their own conversations (anything else is 404); the console is staff only (403).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from guichet.customers.access import customer_only, error_lines, staff_only
from guichet.errors import PermissionDenied, QuotaExceeded, ValidationError
from guichet.tickets.models import Category, Priority

from . import chat
from .models import ChatConversation

Status = ChatConversation.Status
POLL_SECONDS = 3
STOP_POLLING = 286  # htmx stops polling on this status


def _own(request, pk: int) -> ChatConversation:
    conversation = (
        ChatConversation.objects.select_related("ticket").filter(pk=pk, contact=request.user).first()
    )
    if conversation is None:
        raise Http404("No such chat.")
    return conversation


def _any(pk: int) -> ChatConversation:
    conversation = (
        ChatConversation.objects.select_related("ticket", "contact", "organisation", "agent")
        .filter(pk=pk)
        .first()
    )
    if conversation is None:
        raise Http404("No such chat.")
    return conversation


def _transcript(request, conversation: ChatConversation, template: str) -> HttpResponse:
    response = render(
        request,
        template,
        {"conversation": conversation, "lines": chat.transcript(conversation), "poll": POLL_SECONDS},
    )
    if conversation.status != Status.OPEN:
        response.status_code = STOP_POLLING if request.htmx else 200
    return response


# ------------------------------------------------------------------------------------------ extranet


@customer_only
def panel(request):
    """GET: the open conversation (or an invitation to start one). POST: a line from the contact."""
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            chat.customer_send(request.user, request.POST.get("body", ""))
            return redirect("chat-panel")
        except ValidationError as exc:
            errors, status = error_lines(exc, {}), 400  # the messages alone: the panel has one field
        except PermissionDenied as exc:
            errors, status = [str(exc)], 403
    unavailable = ""
    try:
        chat.check_allowed(request.user)
    except (ValidationError, PermissionDenied) as exc:
        unavailable = " ".join(error_lines(exc, {})) if isinstance(exc, ValidationError) else str(exc)
    conversation = chat.open_conversation(request.user)
    recent = ChatConversation.objects.filter(contact=request.user, status=Status.CLOSED).select_related(
        "ticket"
    )[:5]
    return render(
        request,
        "channels/chat/panel.html",
        {
            "conversation": conversation,
            "lines": chat.transcript(conversation) if conversation else [],
            "errors": errors,
            "unavailable": unavailable,
            "recent": recent,
            "poll": POLL_SECONDS,
            "body": request.POST.get("body", "") if errors else "",
        },
        status=status,
    )


@customer_only
@require_GET
def customer_transcript(request, pk: int):
    return _transcript(request, _own(request, pk), "channels/chat/_transcript.html")


@customer_only
@require_GET
def customer_conversation(request, pk: int):
    conversation = _own(request, pk)
    return render(
        request,
        "channels/chat/conversation.html",
        {"conversation": conversation, "lines": chat.transcript(conversation)},
    )


@customer_only
@require_POST
def customer_end(request, pk: int):
    chat.end(_own(request, pk), by=request.user, reason="ended by the customer")
    return redirect("chat-panel")


# ------------------------------------------------------------------------------------------- console


@staff_only
@require_GET
def console_queue(request):
    """Open chats, those waiting for an answer first, oldest first."""
    conversations = (
        ChatConversation.objects.filter(status=Status.OPEN)
        .select_related("contact", "organisation", "agent", "ticket")
        .order_by("-waiting_for_staff", "last_message_at", "pk")
    )
    mine = request.GET.get("mine") == "1"
    if mine:
        conversations = conversations.filter(Q(agent=request.user) | Q(agent__isnull=True))
    template = "channels/chat/_queue.html" if request.htmx else "channels/chat/queue.html"
    return render(request, template, {"conversations": conversations, "mine": mine, "poll": POLL_SECONDS})


def _console_page(request, conversation: ChatConversation, errors: list[str], status: int = 200):
    return render(
        request,
        "channels/chat/console.html",
        {
            "conversation": conversation,
            "lines": chat.transcript(conversation),
            "errors": errors,
            "poll": POLL_SECONDS,
            "categories": Category.choices,
            "priorities": Priority.choices,
            "body": request.POST.get("body", "") if errors else "",
        },
        status=status,
    )


@staff_only
@require_GET
def console_conversation(request, pk: int):
    return _console_page(request, _any(pk), [])


@staff_only
@require_GET
def console_transcript(request, pk: int):
    return _transcript(request, _any(pk), "channels/chat/_transcript.html")


def _act(request, pk: int, action) -> HttpResponse:
    conversation = _any(pk)
    try:
        action(conversation)
    except ValidationError as exc:
        return _console_page(request, conversation, error_lines(exc), 400)
    except QuotaExceeded as exc:
        return _console_page(request, conversation, [str(exc)], 400)
    return redirect("chat-console", pk=pk)


@staff_only
@require_POST
def console_reply(request, pk: int):
    return _act(request, pk, lambda c: chat.staff_send(c, request.user, request.POST.get("body", "")))


@staff_only
@require_POST
def console_convert(request, pk: int):
    category = request.POST.get("category", Category.REQUEST)
    priority = request.POST.get("priority", Priority.MEDIUM)
    subject = request.POST.get("subject", "")
    return _act(
        request,
        pk,
        lambda c: chat.convert(c, by=request.user, category=category, priority=priority, subject=subject),
    )


@staff_only
@require_POST
def console_end(request, pk: int):
    return _act(request, pk, lambda c: chat.end(c, by=request.user, reason="ended by the agent"))
