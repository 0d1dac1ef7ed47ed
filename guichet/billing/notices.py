"""Who on the provider's side hears of a claim: a claim filed goes to the organisation's account manager
(the supervisors when it has none), as a stored notification mailed by the notifications' task, in the
reader's language. Called by ``claims.claim_file`` inside its transaction: no claim kept, no mail."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from guichet.customers.models import User
from guichet.money.amounts import Money
from guichet.tickets.models import Notification
from guichet.tickets.notifications import notify_each

from .models import Claim


def deciders(claim: Claim) -> list[User]:
    """The account manager of the claim's organisation, else the active supervisors (they decide claims)."""
    manager = claim.organisation.account_manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(User.objects.filter(kind=User.Kind.SUPERVISOR, is_active=True).order_by("pk"))


def claim_filed(*, claim: Claim, at: datetime) -> list[Notification]:
    def text() -> str:
        return _(
            "%(organisation)s filed an SLA claim for %(service)s %(identifier)s (%(month)s, ticket "
            "%(ref)s); %(amount)s proposed after checking the records. Decide it in the console: "
            "/console/claims/%(pk)s/"
        ) % {
            "organisation": claim.organisation.name,
            "service": claim.subscription.service.name,
            "identifier": claim.subscription.identifier,
            "month": f"{claim.year}-{claim.month:02d}",
            "ref": claim.ticket.reference,
            "amount": str(Money.of(claim.proposed_amount, claim.currency)),
            "pk": claim.pk,
        }

    return notify_each(
        recipients=deciders(claim),
        ticket=claim.ticket,
        kind=Notification.Kind.CLAIM_FILED,
        message=text,
        at=at,
    )
