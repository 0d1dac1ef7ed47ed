"""Reads of the channels for the console: the mail waiting for an agent, and the dead letters. Only for
who handles mail (``permissions.may_handle_mail``); anyone else reads nothing."""

from __future__ import annotations

from django.db.models import QuerySet

from guichet.customers.models import User
from guichet.customers.permissions import may_handle_mail
from guichet.errors import NotFound

from .mail.services import WAITING
from .models import DeadLetter, InboundMail

LIMIT = 100


def waiting_mail(user: User) -> QuerySet[InboundMail]:
    """Held, triaged and refused mail no agent has dealt with yet, the newest first."""
    if not may_handle_mail(user):
        return InboundMail.objects.none()
    return (
        InboundMail.objects.filter(outcome__in=WAITING, handled_at__isnull=True)
        .select_related("mailbox", "ticket")
        .order_by("-received_at", "-pk")
    )


def handled_mail(user: User) -> QuerySet[InboundMail]:
    """Held, triaged or refused mail an agent dealt with, the latest first."""
    if not may_handle_mail(user):
        return InboundMail.objects.none()
    return (
        InboundMail.objects.filter(handled_at__isnull=False)
        .select_related("ticket", "handled_by")
        .order_by("-handled_at", "-pk")
    )


def inbound_mail_get(user: User, pk: int) -> InboundMail:
    found = None
    if may_handle_mail(user):
        found = InboundMail.objects.select_related("mailbox", "ticket", "handled_by").filter(pk=pk).first()
    if found is None:
        raise NotFound(f"mail {pk} not found")
    return found


def dead_letters(user: User) -> QuerySet[DeadLetter]:
    if not may_handle_mail(user):
        return DeadLetter.objects.none()
    return DeadLetter.objects.select_related("mailbox").order_by("-received_at", "-pk")


def dead_letter_get(user: User, pk: int) -> DeadLetter:
    found = dead_letters(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"dead letter {pk} not found")
    return found
