"""SLA claims and credits: customers file claims, account managers decide them; credits are listed with the
computation that reached them. Amounts are strings with the currency's decimals."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import get_language
from ninja import Router, Schema, Status
from pydantic import Field

from guichet.audit.models import Door
from guichet.billing import claims as services
from guichet.billing import documents, invoicing
from guichet.billing.models import Claim, Credit, Invoice
from guichet.billing.selectors import (
    claim_get,
    claims_visible_to,
    credits_visible_to,
    invoice_get,
    invoices_visible_to,
)
from guichet.contracts.selectors import subscription_get
from guichet.customers.permissions import may_bill
from guichet.errors import PermissionDenied
from guichet.formats import reader_language

from .tickets import STRICT
from .types import Amount, Id, Instant, money_text

router = Router(tags=["claims and credits"])


class ClaimOut(Schema):
    id: int
    subscription_id: int
    service: str
    identifier: str
    ticket: str
    kind: str
    metric: str
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
        "metric": c.metric,
        "month": f"{c.year}-{c.month:02d}",
        "customer_name": c.customer_name,
        "customer_contact": c.customer_contact,
        "outage_start": c.outage_start,
        "outage_end": c.outage_end,
        "description": c.description,
        "filed_at": c.filed_at,
        "status": c.status,
        "verified_seconds": c.verified_seconds,
        "proposed_amount": money_text(c.proposed_amount, c.currency),
        "approved_amount": money_text(c.approved_amount, c.currency),
        "currency": c.currency,
        "computation": c.computation_in(get_language()),
        "decision_reason": c.decision_reason,
        "decided_at": c.decided_at,
    }


class ClaimIn(Schema):
    """Every part is checked by the service, which names each missing one."""

    model_config = STRICT
    subscription_id: Id
    kind: str = "downtime"
    customer_name: str | None = None
    customer_contact: str | None = None
    outage_start: Instant | None = None
    outage_end: Instant | None = None
    ticket: str | None = Field(None, description="The reference of the outage's ticket.")
    description: str | None = None
    metric: str | None = Field(None, description="A quality claim: the objective missed (e.g. latency).")


@router.get("/claims", response=list[ClaimOut], summary="Claims you can see, newest first")
def list_claims(request, status: str | None = None):
    qs = claims_visible_to(request.user)
    if status is not None:
        qs = qs.filter(status=status)
    return [_claim(c) for c in qs[:200]]


@router.get("/claims/{claim_id}", response=ClaimOut, summary="One claim")
def get_claim(request, claim_id: Id):
    return _claim(claim_get(request.user, claim_id))


@router.post(
    "/claims",
    response={201: ClaimOut},
    summary="File an SLA claim (first 7 days of a month, for the month before)",
)
def file_claim(request, payload: ClaimIn):
    subscription = subscription_get(request.user, payload.subscription_id)
    data = payload.dict(exclude={"subscription_id"})
    claim = services.claim_file(actor=request.user, door=Door.API, subscription=subscription, **data)
    return Status(201, _claim(claim_get(request.user, claim.pk)))


class DecisionIn(Schema):
    model_config = STRICT
    decision: str = Field(description="approve, partial or reject")
    amount: Amount | None = Field(None, description="For a partial approval.")
    reason: str = ""


@router.post("/claims/{claim_id}/decision", response=ClaimOut, summary="Decide a claim (account managers)")
def decide(request, claim_id: Id, payload: DecisionIn):
    claim = claim_get(request.user, claim_id)
    services.claim_decide(actor=request.user, door=Door.API, claim=claim, **payload.dict())
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
        "amount": money_text(c.amount, c.currency),
        "remaining": money_text(c.remaining, c.currency),
        "currency": c.currency,
        "explanation": c.explanation_in(get_language()),
        "claim_id": c.claim_id,
    }


@router.get("/credits", response=list[CreditOut], summary="Credits owed to you, with how they were computed")
def list_credits(request):
    return [_credit(c) for c in credits_visible_to(request.user)[:500]]


# ------------------------------------------------------------------------------------------- invoices


class InvoiceLineOut(Schema):
    position: int
    description: str
    subscription_id: int | None
    credit_id: int | None
    first_day: date | None
    last_day: date | None
    amount: str


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str
    organisation_id: int
    period: str
    currency: str
    billing_date: date
    issue_date: date
    due_date: date
    subtotal: str
    vat_rate: str
    vat_amount: str
    total: str
    corrects: str | None = Field(None, description="A credit note: the number of the invoice it corrects.")
    reason: str


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]


def _invoice(i: Invoice) -> dict:
    return {
        "id": i.pk,
        "number": i.number,
        "kind": i.kind,
        "organisation_id": i.organisation_id,
        "period": f"{i.year}-{i.month:02d}",
        "currency": i.currency,
        "billing_date": i.billing_date,
        "issue_date": i.issue_date,
        "due_date": i.due_date,
        "subtotal": money_text(i.subtotal, i.currency),
        "vat_rate": str(i.vat_rate),
        "vat_amount": money_text(i.vat_amount, i.currency),
        "total": money_text(i.total, i.currency),
        "corrects": i.corrects.number if i.corrects else None,
        "reason": i.reason,
    }


@router.get("/invoices", response=list[InvoiceOut], summary="Invoices and credit notes you can see")
def list_invoices(request, organisation_id: Id | None = None):
    qs = invoices_visible_to(request.user)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return [_invoice(i) for i in qs[:500]]


@router.get("/invoices/{invoice_id}", response=InvoiceDetailOut, summary="An invoice with its lines")
def get_invoice(request, invoice_id: Id):
    invoice = invoice_get(request.user, invoice_id)
    lines = [
        {
            "position": line.position,
            "description": line.description,
            "subscription_id": line.subscription_id,
            "credit_id": line.credit_id,
            "first_day": line.first_day,
            "last_day": line.last_day,
            "amount": money_text(line.amount, invoice.currency),
        }
        for line in invoice.lines.all()
    ]
    return {**_invoice(invoice), "lines": lines}


@router.get("/invoices/{invoice_id}/pdf", response={200: None}, summary="The invoice as a PDF (a duplicate)")
def invoice_pdf(request, invoice_id: Id, language: str | None = None):
    invoice = invoice_get(request.user, invoice_id)
    body = documents.pdf(invoice, language or reader_language(request.user))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@router.get("/invoices/{invoice_id}/csv", response={200: None}, summary="The invoice's lines as CSV")
def invoice_csv(request, invoice_id: Id):
    invoice = invoice_get(request.user, invoice_id)
    response = HttpResponse(documents.csv_text(invoice), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.csv"'
    return response


class CreditNoteIn(Schema):
    model_config = STRICT
    reason: str = ""
    amount: Amount | None = Field(None, description="Excluding VAT; by default all the invoice still bills.")


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response={201: InvoiceDetailOut},
    summary="Correct an invoice with a credit note (billing staff)",
)
def issue_credit_note(request, invoice_id: Id, payload: CreditNoteIn):
    invoice = invoice_get(request.user, invoice_id)
    note = invoicing.credit_note_issue(actor=request.user, door=Door.API, invoice=invoice, **payload.dict())
    return Status(201, get_invoice(request, note.pk))


class RunIn(Schema):
    model_config = STRICT
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)


class RunOut(Schema):
    issued: int
    already: int
    empty: int


@router.post(
    "/billing-runs", response=RunOut, summary="Bill a month that has ended (billing staff); safe to repeat"
)
def billing_run(request, payload: RunIn):
    if not may_bill(request.user):
        raise PermissionDenied("Only billing staff, supervisors and admins run billing.")
    return invoicing.billing_run(payload.year, payload.month)
