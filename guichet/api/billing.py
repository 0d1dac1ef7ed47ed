"""SLA claims and credits: customers file claims, account managers decide them; credits are listed with the
computation that reached them. Amounts are strings with the currency's decimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Router, Schema, Status
from pydantic import Field

from guichet.billing import claims as services
from guichet.billing.models import Claim, Credit
from guichet.billing.selectors import claim_get, claims_visible_to, credits_visible_to
from guichet.contracts.selectors import subscription_get
from guichet.money.amounts import Money

from .tickets import STRICT

router = Router(tags=["claims and credits"])


def _money(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else str(Money.of(amount, currency).amount)


class ClaimOut(Schema):
    id: int
    subscription_id: int
    service: str
    identifier: str
    ticket: str
    kind: str
    month: str = Field(description="The month claimed, YYYY-MM.")
    customer_name: str
    customer_contact: str
    outage_start: datetime
    outage_end: datetime
    description: str
    filed_at: datetime
    status: str
    verified_seconds: int
    proposed_amount: str
    approved_amount: str | None
    currency: str
    computation: str
    decision_reason: str
    decided_at: datetime | None


def _claim(c: Claim) -> dict:
    return {
        "id": c.pk,
        "subscription_id": c.subscription_id,
        "service": c.subscription.service.code,
        "identifier": c.subscription.identifier,
        "ticket": c.ticket.reference,
        "kind": c.kind,
        "month": f"{c.year}-{c.month:02d}",
        "customer_name": c.customer_name,
        "customer_contact": c.customer_contact,
        "outage_start": c.outage_start,
        "outage_end": c.outage_end,
        "description": c.description,
        "filed_at": c.filed_at,
        "status": c.status,
        "verified_seconds": c.verified_seconds,
        "proposed_amount": _money(c.proposed_amount, c.currency),
        "approved_amount": _money(c.approved_amount, c.currency),
        "currency": c.currency,
        "computation": c.computation,
        "decision_reason": c.decision_reason,
        "decided_at": c.decided_at,
    }


class ClaimIn(Schema):
    """Every part is checked by the service, which names each missing one."""

    model_config = STRICT
    subscription_id: int
    kind: str = "downtime"
    customer_name: str | None = None
    customer_contact: str | None = None
    outage_start: datetime | None = None
    outage_end: datetime | None = None
    ticket: str | None = Field(None, description="The reference of the outage's ticket.")
    description: str | None = None


@router.get("/claims", response=list[ClaimOut], summary="Claims you can see, newest first")
def list_claims(request, status: str | None = None):
    qs = claims_visible_to(request.user)
    if status is not None:
        qs = qs.filter(status=status)
    return [_claim(c) for c in qs[:200]]


@router.get("/claims/{claim_id}", response=ClaimOut, summary="One claim")
def get_claim(request, claim_id: int):
    return _claim(claim_get(request.user, claim_id))


@router.post(
    "/claims",
    response={201: ClaimOut},
    summary="File an SLA claim (first 7 days of a month, for the month before)",
)
def file_claim(request, payload: ClaimIn):
    subscription = subscription_get(request.user, payload.subscription_id)
    data = payload.dict(exclude={"subscription_id"})
    claim = services.claim_file(actor=request.user, door="api", subscription=subscription, **data)
    return Status(201, _claim(claim_get(request.user, claim.pk)))


class DecisionIn(Schema):
    model_config = STRICT
    decision: str = Field(description="approve, partial or reject")
    amount: Decimal | None = Field(None, description="For a partial approval.")
    reason: str = ""


@router.post("/claims/{claim_id}/decision", response=ClaimOut, summary="Decide a claim (account managers)")
def decide(request, claim_id: int, payload: DecisionIn):
    claim = claim_get(request.user, claim_id)
    services.claim_decide(actor=request.user, door="api", claim=claim, **payload.dict())
    return _claim(claim_get(request.user, claim_id))


class CreditOut(Schema):
    id: int
    subscription_id: int
    kind: str
    month: str
    amount: str
    remaining: str
    currency: str
    explanation: str
    claim_id: int | None


def _credit(c: Credit) -> dict:
    return {
        "id": c.pk,
        "subscription_id": c.subscription_id,
        "kind": c.kind,
        "month": f"{c.year}-{c.month:02d}",
        "amount": _money(c.amount, c.currency),
        "remaining": _money(c.remaining, c.currency),
        "currency": c.currency,
        "explanation": c.explanation,
        "claim_id": c.claim_id,
    }


@router.get("/credits", response=list[CreditOut], summary="Credits owed to you, with how they were computed")
def list_credits(request):
    return [_credit(c) for c in credits_visible_to(request.user)[:500]]
