"""Web chat: a contact writes in the extranet's chat panel, agents answer from the console.

- A contact has at most one open conversation (a partial unique constraint); writing opens one if needed.
  The organisation's plan must include chat, or the contact is told which channels it does include.
- A conversation becomes one ticket (``convert``, idempotent: never two) when an agent converts it, or
  automatically once it outlives a short exchange: ``GUICHET_CHAT_TICKET_AFTER_MESSAGES`` lines, or
  ``GUICHET_CHAT_TICKET_AFTER_MINUTES`` since it started — answered or not, so an unanswered chat is not
  forgotten: it is then on the clocks of the plan. The ticket opens at the chat's first line and gets every
  line as a message at the instant it was written, so the first reply in the chat meets the first-response
  clock. Later lines are added to the ticket as they come.
- A conversation ends when the contact or an agent ends it, or after ``GUICHET_CHAT_IDLE_MINUTES`` without
  a line (the minutely ``chat-sweep``). The transcript is kept (``ChatMessage``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django_tasks import task

from guichet.audit.models import Door
from guichet.customers.models import User
from guichet.customers.permissions import is_provider_staff
from guichet.errors import PermissionDenied, QuotaExceeded, ValidationError
from guichet.plans.selectors import plan_for_organisation
from guichet.tickets import services as tickets
from guichet.tickets.models import Category, Channel, Priority, Ticket

from .models import ChatConversation, ChatMessage

log = logging.getLogger(__name__)
Status = ChatConversation.Status
MAX_LENGTH = 4000
DOOR = Door.CHAT


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a message first."})
    if len(body) > MAX_LENGTH:
        raise ValidationError({"body": f"At most {MAX_LENGTH} characters per message."})
    return body


def check_allowed(user: User) -> None:
    """Raise unless ``user`` is an active contact whose organisation's plan includes chat."""
    contact = getattr(user, "contact", None)
    if is_provider_staff(user) or contact is None or not contact.is_active:
        raise PermissionDenied("The chat is for the contacts of client organisations.")
    plan = plan_for_organisation(contact.organisation)
    if plan is None:
        raise ValidationError({"channel": "Your organisation has no support plan yet."})
    if not plan.includes_channel(Channel.CHAT):
        with translation.override("en"):  # an English sentence: the channels' labels in English too
            refusal = (
                f"The {plan.name} plan does not include support by {Channel.CHAT.label}: use "
                f"{', '.join(plan.channel_names())}."
            )
        raise ValidationError({"channel": refusal})


def open_conversation(user: User) -> ChatConversation | None:
    return ChatConversation.objects.filter(contact=user, status=Status.OPEN).first()


def _add(conversation: ChatConversation, author: User, body: str, now: datetime) -> ChatMessage:
    message = None
    if conversation.ticket_id:  # the ticket's message first: the line is written once, linked to it
        message = tickets.ticket_reply(
            actor=author,
            door=DOOR,
            ticket=conversation.ticket,  # type: ignore[arg-type]
            body=body,
            channel=Channel.CHAT,
        )
    line = ChatMessage.objects.create(
        conversation=conversation, author=author, body=body, sent_at=now, ticket_message=message
    )
    conversation.last_message_at = now
    conversation.message_count += 1
    conversation.waiting_for_staff = not author.is_provider_staff
    fields = ["last_message_at", "message_count", "waiting_for_staff"]
    if author.is_provider_staff and conversation.agent_id is None:
        conversation.agent = author
        fields.append("agent")
    conversation.save(update_fields=fields)
    return line


def _outlived(conversation: ChatConversation, now: datetime) -> bool:
    return conversation.message_count >= settings.GUICHET_CHAT_TICKET_AFTER_MESSAGES or (
        now - conversation.started_at >= timedelta(minutes=settings.GUICHET_CHAT_TICKET_AFTER_MINUTES)
    )


def customer_send(user: User, body: str, *, _retry: bool = True) -> ChatMessage:
    """A contact's line: into their open conversation, or a new one."""
    body = _clean(body)
    check_allowed(user)
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = (
                ChatConversation.objects.select_for_update(of=("self",))
                .filter(contact=user, status=Status.OPEN)
                .select_related("ticket")
                .first()
            )
            if conversation is None:
                conversation = ChatConversation.objects.create(
                    organisation=user.contact.organisation, contact=user, started_at=now, last_message_at=now
                )
            line = _add(conversation, user, body, now)
    except IntegrityError:
        if not _retry:
            raise
        # Two first lines at once: the other one opened the conversation; write into it.
        return customer_send(user, body, _retry=False)
    _convert_if_outlived(conversation, now)
    return line


def staff_send(conversation: ChatConversation, agent: User, body: str) -> ChatMessage:
    if not agent.is_provider_staff:
        raise PermissionDenied("Only the provider's staff answer chats from the console.")
    body = _clean(body)
    now = timezone.now()
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.status != Status.OPEN:
            raise ValidationError({"conversation": "This chat has ended: reply on its ticket instead."})
        line = _add(conversation, agent, body, now)
    _convert_if_outlived(conversation, now)
    return line


def _locked(conversation: ChatConversation) -> ChatConversation:
    return (
        ChatConversation.objects.select_for_update(of=("self",))
        .select_related("ticket", "contact", "organisation")
        .get(pk=conversation.pk)
    )


def _subject(first_line: str) -> str:
    text = " ".join(first_line.split())
    return "Chat: " + (text if len(text) <= 80 else text[:79].rstrip() + "…")


def convert(
    conversation: ChatConversation,
    *,
    by: User | None = None,
    category: str = Category.REQUEST,
    priority: str = Priority.MEDIUM,
    subject: str = "",
) -> Ticket:
    """Make the conversation a ticket (``by`` an agent, or ``None``: automatically). Idempotent: a
    conversation that is already a ticket returns that ticket."""
    if by is not None and not by.is_provider_staff:
        raise PermissionDenied("Only the provider's staff convert chats into tickets.")
    now = timezone.now()
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.ticket_id:
            return conversation.ticket  # type: ignore[return-value]
        lines = list(conversation.messages.select_related("author").order_by("sent_at", "pk"))
        first = next((line for line in lines if line.author_id == conversation.contact_id), None)
        if first is None:
            raise ValidationError({"conversation": "The customer has not written anything yet."})
        ticket = tickets.ticket_create(
            actor=by or conversation.contact,
            door=DOOR,
            organisation=conversation.organisation,
            requester=conversation.contact,
            subject=subject.strip() or _subject(first.body),
            description=first.body,
            category=category,
            priority=priority,
            channel=Channel.CHAT,
            # The customer asked when the chat started: the clocks run from there. A past instant that
            # Guichet itself recorded, not one a caller chose: allowed as for an import.
            opened_at=first.sent_at,
            can_import=True,
        )
        first.ticket_message = ticket.opening_message
        first.save(update_fields=["ticket_message"])
        for line in lines:
            if line.pk == first.pk:
                continue
            line.ticket_message = tickets.ticket_reply(
                actor=line.author,
                door=DOOR,
                ticket=ticket,
                body=line.body,
                # Each line at its instant, recorded by Guichet itself (as the opening above).
                at=line.sent_at,
                can_import=True,
                channel=Channel.CHAT,
            )
            line.save(update_fields=["ticket_message"])
        conversation.ticket = ticket
        conversation.converted_at = now
        conversation.converted_by = by
        conversation.save(update_fields=["ticket", "converted_at", "converted_by"])
    ticket.refresh_from_db()  # the replies changed it (first response, status) through their own instance
    return ticket


def _convert_if_outlived(conversation: ChatConversation, now: datetime) -> None:
    if conversation.ticket_id is None and _outlived(conversation, now):
        convert(conversation)


def end(conversation: ChatConversation, *, by: User | None, reason: str = "") -> ChatConversation:
    """End the conversation (``by`` its contact or an agent; ``None``: idle). Ending twice changes nothing."""
    if by is not None and not by.is_provider_staff and by.pk != conversation.contact_id:
        raise PermissionDenied("Only the chat's contact or the provider's staff end a chat.")
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.status == Status.OPEN:
            conversation.status = Status.CLOSED
            conversation.ended_at = timezone.now()
            conversation.ended_by = by
            conversation.end_reason = reason[:200]
            conversation.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    return conversation


@task()
def chat_sweep() -> dict[str, int]:
    """The minutely job: conversations that outlived a short exchange become tickets; idle ones end."""
    now = timezone.now()
    started_before = now - timedelta(minutes=settings.GUICHET_CHAT_TICKET_AFTER_MINUTES)
    converted = ended = 0
    for conversation in ChatConversation.objects.filter(
        status=Status.OPEN, ticket__isnull=True, started_at__lte=started_before
    ):
        try:
            convert(conversation)
            converted += 1
        except (ValidationError, PermissionDenied, QuotaExceeded) as exc:  # the plan dropped chat, say
            log.warning("chat %s could not become a ticket: %s", conversation.pk, exc)
            end(conversation, by=None, reason=f"could not become a ticket: {exc}")
            ended += 1
    idle_since = now - timedelta(minutes=settings.GUICHET_CHAT_IDLE_MINUTES)
    for conversation in ChatConversation.objects.filter(status=Status.OPEN, last_message_at__lte=idle_since):
        end(conversation, by=None, reason="idle")
        ended += 1
    return {"converted": converted, "ended": ended}


def transcript(conversation: ChatConversation) -> list[ChatMessage]:
    return list(conversation.messages.select_related("author").order_by("sent_at", "pk"))
