"""Emergency pages: the paged engineer acknowledges; staff mark false alarms (counted per organisation)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from ninja import Router, Schema

from guichet.channels import oncall
from guichet.channels.models import Page
from guichet.customers.models import User
from guichet.customers.permissions import is_customer
from guichet.errors import NotFound

from .auth import staff_only
from .types import Id

router = Router(tags=["on call"])


class PageOut(Schema):
    id: int
    ticket: str
    reason: str
    created_at: datetime
    paged: str | None
    step: int
    next_page_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    false_alarm: bool


def _out(page: Page) -> dict:
    return {
        "id": page.pk,
        "ticket": page.ticket.reference,
        "reason": page.reason,
        "created_at": page.created_at,
        "paged": page.paged.username if page.paged else None,
        "step": page.step,
        "next_page_at": page.next_page_at,
        "acknowledged_at": page.acknowledged_at,
        "acknowledged_by": page.acknowledged_by.username if page.acknowledged_by else None,
        "false_alarm": page.false_alarm,
    }


def _page(request, page_id: int) -> Page:
    user: User = request.user
    page = Page.objects.select_related("ticket", "paged", "acknowledged_by").filter(pk=page_id).first()
    if page is None or is_customer(user):  # customers: a page is not theirs to know of
        raise NotFound(f"page {page_id} not found")
    return page


@router.get("", response=list[PageOut], summary="Emergencies waiting for an acknowledgement (staff)")
def waiting(request):
    staff_only(request, "Pages are for provider staff.")
    rows = Page.objects.select_related("ticket", "paged", "acknowledged_by").filter(
        acknowledged_at__isnull=True, false_alarm=False
    )
    return [_out(p) for p in rows[:200]]


@router.post("/{page_id}/acknowledge", response=PageOut, summary="Take the emergency: nobody else is paged")
def acknowledge(request, page_id: Id):
    return _out(oncall.acknowledge(page=_page(request, page_id), user=request.user))


@router.post(
    "/{page_id}/false-alarm", response=PageOut, summary="Not an emergency (counted per organisation)"
)
def false_alarm(request, page_id: Id):
    return _out(oncall.mark_false_alarm(page=_page(request, page_id), user=request.user))


@router.get("/false-alarms", response=dict[int, int], summary="False alarms per organisation, last 90 days")
def false_alarms(request):
    staff_only(request, "Pages are for provider staff.")
    return oncall.false_alarms(since=timezone.now() - timedelta(days=90))
