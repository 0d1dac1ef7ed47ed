"""Phone calls: who is calling, and calls logged into tickets (staff only)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from guichet.channels import phone
from guichet.customers.models import User
from guichet.errors import ValidationError
from guichet.tickets.selectors import ticket_get

from .auth import can_import, staff_only
from .tickets import STRICT
from .types import Id, Instant

router = Router(tags=["calls"])


def _staff(request) -> User:
    return staff_only(request, "Only provider staff see callers and log calls.")


class CandidateOut(Schema):
    contact_id: int
    name: str
    organisation_id: int
    organisation: str


class CallerOut(Schema):
    known: bool
    ambiguous: bool = Field(
        False, description="Several contacts have this number: no organisation is picked; ask who is calling."
    )
    candidates: list[CandidateOut] = Field(default_factory=list)
    contact_id: int | None = None
    name: str | None = None
    organisation_id: int | None = None
    organisation: str | None = None
    plan: str | None = None
    phone_queue_priority: str | None = Field(None, description="The plan's place in the phone queue.")
    phone_included: bool = False
    open_tickets: list[str] = Field(default_factory=list, description="References, newest first.")


@router.get("/caller", response=CallerOut, summary="Who is calling: contact, organisation, plan, queue")
def caller(request, number: str):
    _staff(request)
    found = phone.caller(number, user=request.user)
    if found is None:
        return {"known": False}
    candidates = [
        {
            "contact_id": c.pk,
            "name": c.user.display_name,
            "organisation_id": c.organisation_id,
            "organisation": c.organisation.name,
        }
        for c in found["candidates"]
    ]
    if found["contact"] is None:
        return {"known": True, "ambiguous": True, "candidates": candidates}
    contact, plan = found["contact"], found["plan"]
    return {
        "known": True,
        "contact_id": contact.pk,
        "name": contact.user.display_name,
        "organisation_id": contact.organisation_id,
        "organisation": contact.organisation.name,
        "plan": plan.name if plan else None,
        "phone_queue_priority": found["phone_queue_priority"],
        "phone_included": found["phone_included"],
        "open_tickets": [ref for ref, _ in found["open_tickets"]],
    }


class CallIn(Schema):
    model_config = STRICT
    number: str = Field(min_length=1, max_length=40)
    duration_seconds: int = Field(ge=0, le=24 * 3600)
    summary: str = Field(min_length=1)
    ticket: str | None = Field(None, description="Reference of the ticket the call was about, if any.")
    subject: str = Field("", max_length=200)
    category: str = "request"
    priority: str = "medium"
    requester_id: Id | None = Field(None, description="The contact who called, when the number is unknown.")
    started_at: Instant | None = None


class CallOut(Schema):
    id: int
    ticket: str
    number: str
    duration_seconds: int
    summary: str
    started_at: datetime


@router.post("", response={201: CallOut}, summary="Log a call into a new or existing ticket")
def log_call(request, payload: CallIn):
    agent = _staff(request)
    ticket = ticket_get(agent, payload.ticket) if payload.ticket else None
    requester = None
    if payload.requester_id is not None:
        requester = User.objects.filter(pk=payload.requester_id, kind=User.Kind.CUSTOMER).first()
        if requester is None:
            raise ValidationError({"requester_id": "No such contact."})
    call = phone.log_call(
        agent=agent,
        number=payload.number,
        duration_seconds=payload.duration_seconds,
        summary=payload.summary,
        ticket=ticket,
        subject=payload.subject,
        category=payload.category,
        priority=payload.priority,
        requester=requester,
        at=payload.started_at,
        can_import=can_import(request),
    )
    return Status(
        201,
        {
            "id": call.pk,
            "ticket": call.ticket.reference,
            "number": call.number,
            "duration_seconds": call.duration_seconds,
            "summary": call.summary,
            "started_at": call.started_at,
        },
    )
