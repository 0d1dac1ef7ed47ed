"""Commands on several tickets at once (the console's bulk actions): each ticket goes through the same
command as one at a time (``services.ticket_change``, ``services.ticket_merge``), so clocks, audit events and
mail follow; all of them in one transaction, so a refusal leaves every ticket as it was."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from guichet.audit.models import Door
from guichet.customers.models import Team, User
from guichet.customers.permissions import is_customer
from guichet.errors import PermissionDenied, ValidationError

from . import services
from .models import Ticket

MOST = 200  # tickets per bulk action: a page and a half of the queue, one transaction


def _check(actor: User, tickets: Sequence[Ticket]) -> None:
    if is_customer(actor):
        raise PermissionDenied("Only provider staff change several tickets at once.")
    if not tickets:
        raise ValidationError({"tickets": "Select at least one ticket."})
    if len(tickets) > MOST:
        raise ValidationError({"tickets": f"Select at most {MOST} tickets at once."})


@transaction.atomic
def tickets_change(
    *,
    actor: User,
    door: Door,
    tickets: Sequence[Ticket],
    priority: str | None = None,
    status: str | None = None,
    assignee: User | object | None = ...,
    team: Team | object | None = ...,
) -> int:
    """Set the same priority, status, assignee or team on ``tickets`` (found by the caller inside what the
    actor may see); returns how many changed. Validated once before any ticket is touched."""
    _check(actor, tickets)
    if priority is None and status is None and assignee is ... and team is ...:
        raise ValidationError({"action": "Choose what to change."})
    services.check_ticket_change(
        actor=actor, priority=priority, status=status, category=None, assignee=assignee, team=team
    )
    for ticket in sorted(tickets, key=lambda t: t.pk):  # one lock order: two bulk actions cannot deadlock
        services.ticket_change(
            actor=actor,
            door=door,
            ticket=ticket,
            expected_version=None,
            priority=priority,
            status=status,
            assignee=assignee,
            team=team,
        )
    return len(tickets)


@transaction.atomic
def tickets_merge(*, actor: User, door: Door, tickets: Sequence[Ticket], into: Ticket) -> int:
    """Merge every one of ``tickets`` into ``into`` (the same organisation's); returns how many merged."""
    others = [t for t in tickets if t.pk != into.pk]
    _check(actor, others)
    for ticket in sorted(others, key=lambda t: t.pk):
        services.ticket_merge(actor=actor, door=door, ticket=ticket, into=into)
    return len(others)
