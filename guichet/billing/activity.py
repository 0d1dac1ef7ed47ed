"""Claims and invoices in the activity log, in the reader's language ("Carla filed a claim for the outage of
3 November 2026 on Mobile line +352 621 123 456 (2 h 15 min); 12.50 EUR proposed", "Guichet issued invoice
F-2026-00012 for November 2026: 1,234.50 EUR"); ``audit.explain`` asks ``told`` for them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from guichet.audit.explain import actor, amount, ids, month, shown
from guichet.audit.models import AuditEvent
from guichet.contracts.activity import subscription_names
from guichet.formats import day_text, duration_text, month_text

from .models import Claim, CreditKind


@dataclass(frozen=True)
class Names:
    claims: dict[int, Claim]
    subscriptions: dict[int, tuple[int, str]]

    def service(self, claim: Claim) -> str:
        return self.subscriptions.get(claim.subscription_id, (0, "—"))[1]


def _filed(event: AuditEvent, names: Names) -> list[str]:
    c, claim = event.changes, names.claims.get(event.target_id)
    values = {"actor": actor(event), "amount": amount(c.get("proposed")), "ticket": shown(c.get("ticket"))}
    if claim is None:
        values["month"] = month(c.get("month"))
        return [
            gettext("%(actor)s filed a claim for %(month)s (ticket %(ticket)s); %(amount)s proposed") % values
        ]
    values["service"] = names.service(claim)
    if claim.kind == CreditKind.RESOLUTION:
        values["duration"] = duration_text(claim.verified_seconds)
        return [
            gettext(
                "%(actor)s filed a claim for the late resolution of ticket %(ticket)s (%(duration)s late); "
                "%(amount)s proposed"
            )
            % values
        ]
    if claim.kind == CreditKind.QUALITY:
        values |= {"metric": shown(claim.metric), "month": month_text(claim.year, claim.month)}
        return [
            gettext(
                "%(actor)s filed a claim for the %(metric)s objective of %(service)s missed in %(month)s; "
                "%(amount)s proposed"
            )
            % values
        ]
    values["day"] = day_text(timezone.localtime(claim.outage_start).date())
    values["duration"] = duration_text(int((claim.outage_end - claim.outage_start).total_seconds()))
    return [
        gettext(
            "%(actor)s filed a claim for the outage of %(day)s on %(service)s (%(duration)s); %(amount)s "
            "proposed"
        )
        % values
    ]


def _decided(event: AuditEvent, names: Names) -> list[str]:
    c, claim = event.changes, names.claims.get(event.target_id)
    if claim is None:
        return []  # the generic sentence
    values = {
        "actor": actor(event),
        "service": names.service(claim),
        "month": month_text(claim.year, claim.month),
        "amount": amount(c.get("approved"), claim.currency),
        "reason": shown(c.get("reason")),
    }
    if c.get("status") == Claim.Status.APPROVED:
        return [
            gettext(
                "%(actor)s approved the claim for %(service)s, %(month)s: %(amount)s credited on the next "
                "invoice"
            )
            % values
        ]
    if c.get("status") == Claim.Status.PARTIAL:
        return [
            gettext(
                "%(actor)s approved in part the claim for %(service)s, %(month)s: %(amount)s credited on the "
                "next invoice (%(reason)s)"
            )
            % values
        ]
    return [gettext("%(actor)s rejected the claim for %(service)s, %(month)s: %(reason)s") % values]


def _issued(event: AuditEvent, names: Names) -> list[str]:
    c = event.changes
    return [
        gettext("%(actor)s issued invoice %(number)s for %(month)s: %(total)s")
        % {
            "actor": actor(event),
            "number": shown(c.get("number")),
            "month": month(c.get("month")),
            "total": amount(c.get("total")),
        }
    ]


def _credit_note(event: AuditEvent, names: Names) -> list[str]:
    c = event.changes
    return [
        gettext(
            "%(actor)s issued credit note %(number)s correcting invoice %(corrects)s: %(amount)s "
            "excluding VAT"
        )
        % {
            "actor": actor(event),
            "number": shown(c.get("number")),
            "corrects": shown(c.get("corrects")),
            "amount": amount(c.get("amount")),
        }
    ]


SENTENCES: dict[str, Callable[[AuditEvent, Names], list[str]]] = {
    "claim.filed": _filed,
    "claim.decided": _decided,
    "invoice.issued": _issued,
    "invoice.credit_note": _credit_note,
}


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    claims = Claim.objects.in_bulk(ids(e for e in events if e.target_type == "billing.claim"))
    names = Names(
        claims=claims, subscriptions=subscription_names({c.subscription_id for c in claims.values()})
    )
    return {e.pk: SENTENCES[e.action](e, names) for e in events}
