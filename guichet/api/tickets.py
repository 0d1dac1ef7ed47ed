from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BaseModel, ConfigDict, Field

from guichet.audit.models import Door
from guichet.audit.selectors import history_of
from guichet.contracts.models import Subscription
from guichet.customers.models import User
from guichet.customers.permissions import is_customer, is_provider_staff
from guichet.customers.selectors import acting_contact
from guichet.errors import NotFound, ValidationError
from guichet.tickets import search, services
from guichet.tickets.models import MessageKind, Quote, Ticket
from guichet.tickets.read import ticket_json, tickets_json, utc
from guichet.tickets.selectors import (
    conversation,
    queue_page,
    similar_open_tickets,
    sla_explained,
    ticket_get,
    tickets_visible_to,
)

from .auth import can_import
from .customers import PersonOut
from .types import Id, Instant

router = Router(tags=["tickets"])

STRICT = ConfigDict(extra="forbid")  # a field the caller may not set is refused, never silently dropped


# What a ticket looks like in every answer. Plain pydantic models filled from the dicts of tickets.read:
# ninja's Schema reads Django objects attribute by attribute through its resolvers, which cost a queue page
# of 50 tickets some 5 ms more than the dicts do (bench/tickets.py).
class OrgRef(BaseModel):
    id: int
    name: str


class PersonRef(BaseModel):
    id: int
    username: str
    name: str


ClockStateOut = Literal["running", "paused", "met", "breached", "merged", "not_applicable"]


class ClockOut(BaseModel):
    due: str | None = Field(description="ISO 8601 with the numeric offset of the clock's calendar zone.")
    state: ClockStateOut = Field(
        description="running, paused (waiting for the customer), met, breached, merged (ended by the "
        "ticket's merge into another: neither met nor breached), not_applicable (no target, or a technical "
        "service request)."
    )
    used_seconds: int
    target_seconds: int | None
    ended_at: str | None = Field(
        description="When the clock's event happened (met or late), in the zone of ``due``; null while it "
        "counts."
    )


class SlaOut(BaseModel):
    """The three clocks of a ticket, each always present."""

    first_response: ClockOut
    intervention: ClockOut
    resolution: ClockOut


class TicketOut(BaseModel):
    id: int
    reference: str
    organisation: OrgRef
    subscription_id: int | None = Field(description="The service the ticket is about, if any.")
    requester: PersonRef
    subject: str
    category: str
    priority: str
    status: str
    channel: str
    team: str | None
    assignee: PersonRef | None
    opened_at: datetime
    first_response_at: datetime | None
    intervention_started_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    merged_into: str | None
    customer_flagged_urgent: bool
    over_quota: bool
    outside_sla: bool
    next_due_at: datetime | None
    version: int
    watchers: list[PersonRef]
    sla: SlaOut


class TicketFoundOut(TicketOut):
    excerpt: str | None = Field(
        None,
        description="With `q`: a short passage of the ticket where its words are, in HTML (the matching "
        "words in <mark>, everything else escaped). Null without `q`.",
    )


class DuplicateOut(Schema):
    reference: str
    subject: str
    status: str
    opened_at: datetime
    score: float


class TicketCreatedOut(TicketOut):
    possible_duplicates: list[DuplicateOut] = Field(
        description="The organisation's open tickets that look like the same problem: add to one of them "
        "rather than keep two tickets."
    )


class WatcherIn(Schema):
    model_config = STRICT
    user_id: Id


class MergeIn(Schema):
    model_config = STRICT
    into: str = Field(description="Reference of the ticket that survives.")
    version: int | None = None


class TicketIn(Schema):
    model_config = STRICT
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    category: str = "request"
    priority: str = "medium"
    channel: str = "api"
    organisation_id: Id | None = None
    requester_id: Id | None = None
    subscription_id: Id | None = Field(None, description="The service it is about: its plan sets the clocks.")
    opened_at: Instant | None = Field(None, description="Imports only: when the ticket was really opened.")


class TicketPatch(Schema):
    model_config = STRICT
    version: int = Field(description="The version you read: a stale one is refused with 409.")
    priority: str | None = None
    status: str | None = None
    category: str | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None


class MessageIn(Schema):
    model_config = STRICT
    body: str = Field(min_length=1)
    version: int | None = None
    at: Instant | None = Field(None, description="Imports only: when the message was really written.")


class MessageOut(Schema):
    id: int
    kind: str
    author: PersonOut | None
    body: str
    channel: str
    created_at: datetime


class InterventionIn(Schema):
    model_config = STRICT
    version: int | None = None
    at: Instant | None = None


class QuoteIn(Schema):
    model_config = STRICT
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)
    description: str = ""


class QuoteOut(Schema):
    id: int
    amount: Decimal
    currency: str
    description: str
    status: str
    sent_at: datetime
    decided_at: datetime | None


class EventOut(Schema):
    at: datetime
    actor: str | None
    door: Door
    action: str
    changes: dict

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.display_name if obj.actor_id else None


class PeriodOut(Schema):
    opens: datetime
    closes: datetime


class SegmentOut(Schema):
    start: datetime
    end: datetime | None
    counted_seconds: int
    open_periods: list[PeriodOut]


class ClockExplained(Schema):
    clock: str
    calendar: str
    hours: str
    time_zone: str
    target_seconds: int
    state: ClockStateOut
    used_seconds: int
    due: datetime | None
    ended_at: datetime | None = Field(description="When the clock's event happened; null while it counts.")
    segments: list[SegmentOut]
    pauses: list[PeriodOut]


class TicketFilters(Schema):
    q: str | None = Field(
        None,
        max_length=500,
        description="Full-text search in the subject, the messages (internal notes for staff only), the "
        "reference, the organisation's and the people's names: every word required, \"quoted phrases\", the "
        "last word as a prefix (as you type), French and English word forms, accents optional; a reference "
        "(GT-2026-000123) first. With q the tickets come best match first, each with an `excerpt`.",
    )
    status: list[str] | None = None
    priority: str | None = None
    category: str | None = None
    team_id: Id | None = None
    organisation_id: Id | None = None
    mine: bool = False
    breached: bool | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def _load(request, ref: str) -> dict:
    return _reload(ticket_get(request.user, ref))


def _reload(ticket: Ticket) -> dict:
    return tickets_json([ticket.pk])[ticket.pk]


@router.get(
    "",
    response=list[TicketFoundOut],
    summary="Tickets you can see, by next due instant (with q: found by full-text search, best first)",
)
def list_tickets(request, filters: Query[TicketFilters]):
    kwargs: dict[str, Any] = {
        "offset": filters.offset,
        "limit": filters.limit,
        "statuses": filters.status,
        "team_id": filters.team_id,
        "priority": filters.priority,
        "category": filters.category,
        "organisation_id": filters.organisation_id,
        "breached": filters.breached,
        "mine": filters.mine,
    }
    if filters.q is not None and filters.q.strip():
        found = search.search_page(request.user, filters.q, **kwargs)
        by_id = tickets_json(found.ids)
        return [{**by_id[pk], "excerpt": found.excerpts.get(pk, "")} for pk in found.ids]
    ids = queue_page(request.user, **kwargs)
    by_id = tickets_json(ids)
    return [by_id[pk] for pk in ids]


def _duplicates(
    user: User,
    organisation_id: int,
    subject: str,
    description: str,
    exclude_id: int | None = None,
    subscription_id: int | None = None,
):
    return [
        {
            "reference": t.reference,
            "subject": t.subject,
            "status": t.status,
            "opened_at": utc(t.opened_at),
            "score": score,
        }
        for t, score in similar_open_tickets(
            organisation_id,
            subject,
            description,
            user=user,
            exclude_id=exclude_id,
            subscription_id=subscription_id,
        )
    ]


@router.get("/similar", response=list[DuplicateOut], summary="Open tickets like this one (as you type)")
def similar(
    request,
    subject: str = "",
    description: str = "",
    organisation_id: Id | None = None,
    subscription_id: Id | None = None,
):
    user: User = request.user
    if is_customer(user):
        contact = acting_contact(user)
        if contact is None:
            return []
        organisation_id = contact.organisation_id
    elif organisation_id is None:
        raise ValidationError({"organisation_id": "Say which organisation to look in."})
    return _duplicates(user, organisation_id, subject, description, subscription_id=subscription_id)


@router.post("", response={201: TicketCreatedOut}, summary="Open a ticket")
def create_ticket(request, payload: TicketIn):
    user: User = request.user
    organisation = services.ticket_organisation(actor=user, organisation_id=payload.organisation_id)
    requester = user
    if payload.requester_id is not None:
        requester = _person_for(user, organisation.pk, payload.requester_id, "requester_id")
    elif is_provider_staff(user):
        raise ValidationError({"requester_id": "Staff must say which contact reported the ticket."})
    subscription = None
    if payload.subscription_id is not None:  # whose it is, the service checks
        subscription = Subscription.objects.select_related("plan").filter(pk=payload.subscription_id).first()
        if subscription is None:
            raise ValidationError({"subscription_id": f"{organisation.name} has no such subscription."})
    ticket = services.ticket_create(
        actor=user,
        door=Door.IMPORT if payload.opened_at else Door.API,
        organisation=organisation,
        requester=requester,
        subject=payload.subject,
        description=payload.description,
        category=payload.category,
        priority=payload.priority,
        channel=payload.channel,
        opened_at=payload.opened_at,
        can_import=can_import(request),
        subscription=subscription,
    )
    # The new ticket as it is in memory (its relations were loaded to create it): only its clocks are read
    # back, in one query.
    clocks = list(ticket.clocks.select_related("calendar"))
    created = ticket_json(ticket, clocks=clocks, watchers=[requester])
    created["possible_duplicates"] = _duplicates(
        user,
        ticket.organisation_id,
        ticket.subject,
        payload.description,
        exclude_id=ticket.pk,
        subscription_id=ticket.subscription_id,
    )
    return Status(201, created)


@router.get("/{ref}", response=TicketOut, summary="One ticket, with its SLA clocks")
def get_ticket(request, ref: str):
    return _load(request, ref)


@router.patch("/{ref}", response=TicketOut, summary="Change priority, status, category, assignee or team")
def change_ticket(request, ref: str, payload: TicketPatch):
    ticket = ticket_get(request.user, ref)
    sent = payload.model_fields_set
    kwargs: dict = {}
    if "assignee_id" in sent:
        kwargs["assignee"] = services.check_assignee(payload.assignee_id, field="assignee_id")
    if "team_id" in sent:
        kwargs["team"] = services.check_team(payload.team_id, field="team_id")
    services.ticket_change(
        actor=request.user,
        door=Door.API,
        ticket=ticket,
        expected_version=payload.version,
        priority=payload.priority,
        status=payload.status,
        category=payload.category,
        **kwargs,
    )
    return _load(request, ref)


def _message(request, ref: str, payload: MessageIn, internal: bool):
    ticket = ticket_get(request.user, ref)
    message = services.ticket_reply(
        actor=request.user,
        door=Door.API,
        ticket=ticket,
        body=payload.body,
        internal=internal,
        at=payload.at,
        can_import=can_import(request),
        expected_version=payload.version,
    )
    return Status(201, message)


@router.post("/{ref}/replies", response={201: MessageOut}, summary="Reply (public)")
def reply(request, ref: str, payload: MessageIn):
    return _message(request, ref, payload, internal=False)


@router.post("/{ref}/notes", response={201: MessageOut}, summary="Internal note (staff only)")
def note(request, ref: str, payload: MessageIn):
    return _message(request, ref, payload, internal=True)


@router.get("/{ref}/messages", response=list[MessageOut], summary="The conversation (customers: public only)")
def messages(request, ref: str):
    return list(conversation(ticket_get(request.user, ref), request.user))


@router.post("/{ref}/intervention", response=TicketOut, summary="Start the intervention (meets its clock)")
def start_intervention(request, ref: str, payload: InterventionIn):
    ticket = ticket_get(request.user, ref)
    services.ticket_start_intervention(
        actor=request.user,
        door=Door.API,
        ticket=ticket,
        expected_version=payload.version,
        at=payload.at,
        can_import=can_import(request),
    )
    return _load(request, ref)


@router.post("/{ref}/merge", response=TicketOut, summary="Merge this ticket into another (staff)")
def merge(request, ref: str, payload: MergeIn):
    ticket = ticket_get(request.user, ref)
    into = ticket_get(request.user, payload.into)
    survivor = services.ticket_merge(
        actor=request.user, door=Door.API, ticket=ticket, into=into, expected_version=payload.version
    )
    return _load(request, survivor.reference)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    message_id: int


def _attachments(request, ticket: Ticket):
    qs = ticket.attachments.select_related("message").order_by("pk")
    if is_customer(request.user):
        qs = qs.filter(message__kind=MessageKind.PUBLIC)
    return qs


@router.post("/{ref}/attachments", response={201: AttachmentOut}, summary="Attach a file")
def attach(request, ref: str, file: File[UploadedFile], body: Form[str] = "", internal: Form[bool] = False):
    ticket = ticket_get(request.user, ref)
    attachment = services.ticket_attach(
        actor=request.user, door=Door.API, ticket=ticket, upload=file, body=body, internal=internal
    )
    return Status(201, attachment)


@router.get("/{ref}/attachments", response=list[AttachmentOut], summary="The ticket's files")
def list_attachments(request, ref: str):
    return list(_attachments(request, ticket_get(request.user, ref)))


@router.get("/{ref}/attachments/{attachment_id}", summary="Download a file", response={200: None})
def download(request, ref: str, attachment_id: Id):
    attachment = _attachments(request, ticket_get(request.user, ref)).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} not found")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _person_for(actor: User, organisation_id: int, user_id: int, field: str) -> User:
    """The user ``user_id`` named by ``actor`` in a ticket of ``organisation_id``. A customer's lookup is
    scoped to its organisation's contacts: an id of anyone else (another organisation's contact, staff, no
    one) gets one and the same answer, so that ids cannot be probed for who they are."""
    users = User.objects.all()
    if is_customer(actor):
        users = users.filter(contact__organisation_id=organisation_id)
    user = users.filter(pk=user_id).first()
    if user is None:
        who = "contact of your organisation" if is_customer(actor) else "user"
        raise ValidationError({field: f"No such {who}: {user_id}."})
    return user


def _watch(request, ref: str, payload: WatcherIn, watch: bool):
    ticket = ticket_get(request.user, ref)
    user = _person_for(request.user, ticket.organisation_id, payload.user_id, "user_id")
    services.ticket_watch(actor=request.user, door=Door.API, ticket=ticket, user=user, watch=watch)
    return _load(request, ref)


@router.post("/{ref}/watchers", response=TicketOut, summary="Add a watcher")
def add_watcher(request, ref: str, payload: WatcherIn):
    return _watch(request, ref, payload, True)


@router.post("/{ref}/watchers/remove", response=TicketOut, summary="Remove a watcher")
def remove_watcher(request, ref: str, payload: WatcherIn):
    return _watch(request, ref, payload, False)


@router.get("/{ref}/history", response=list[EventOut], summary="Every change, by whom and through which door")
def history(request, ref: str):
    ticket = ticket_get(request.user, ref)
    return list(history_of(ticket, include_internal=is_provider_staff(request.user)))


@router.get("/{ref}/sla", response=list[ClockExplained], summary="How each due instant came to be")
def explain_sla(request, ref: str):
    return sla_explained(ticket_get(request.user, ref), timezone.now())


@router.post("/{ref}/quotes", response={201: QuoteOut}, summary="Send a quote (technical service requests)")
def send_quote(request, ref: str, payload: QuoteIn):
    ticket = ticket_get(request.user, ref)
    quote = services.quote_send(
        actor=request.user,
        door=Door.API,
        ticket=ticket,
        amount=payload.amount,
        currency=payload.currency,
        description=payload.description,
    )
    return Status(201, quote)


@router.get("/{ref}/quotes", response=list[QuoteOut], summary="The ticket's quotes")
def list_quotes(request, ref: str):
    return list(ticket_get(request.user, ref).quotes.all())


def _decide(request, ref: str, quote_id: int, accept: bool):
    ticket = ticket_get(request.user, ref)
    quote = Quote.objects.filter(ticket=ticket, pk=quote_id).first()
    if quote is None:
        raise NotFound(f"quote {quote_id} not found")
    return services.quote_decide(actor=request.user, door=Door.API, quote=quote, accept=accept)


@router.post("/{ref}/quotes/{quote_id}/accept", response=QuoteOut, summary="Accept a quote (customer)")
def accept_quote(request, ref: str, quote_id: Id):
    return _decide(request, ref, quote_id, True)


@router.post("/{ref}/quotes/{quote_id}/refuse", response=QuoteOut, summary="Refuse a quote (customer)")
def refuse_quote(request, ref: str, quote_id: Id):
    return _decide(request, ref, quote_id, False)


__all__ = ["router", "tickets_visible_to"]
