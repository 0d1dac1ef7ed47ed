"""A claim's computation and a credit's explanation, stored as terms and worded when read.

What a claim is worth is reached in parts — the time the records confirm, the month's availability when it
met its guarantee, the plan's rate and cap, the quality tier, a second computation at the decision, an
approval in part — and each part is stored as a small JSON object naming its ``code`` and its numbers
(``Claim.computation_terms``, ``Credit.explanation_terms``). ``words(parts)`` turns them into sentences in the
active language (``guichet.i18n.reading``): the pages, mails and API answers call it through
``Claim.computation`` and ``Credit.explanation``; nothing stores a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guichet.availability import explain as measures
from guichet.i18n import from_json, to_json
from guichet.money.availability import Availability
from guichet.money.credits import DowntimeTerms, QualityTerms
from guichet.money.intervals import format_duration

Part = dict[str, Any]


# ------------------------------------------------------------------------------------------- the parts


def confirmed(seconds: int, *, overlap: Sequence[int] = (), counted: int | None = None) -> Part:
    """The records confirm ``seconds`` of the claimed time; ``overlap`` names the claims that already cover
    part of it, so only ``counted`` counts."""
    part: Part = {"code": "confirmed", "seconds": seconds}
    if overlap and counted is not None:
        part |= {"claims": list(overlap), "counted": counted}
    return part


def guarantee_met(availability: Availability) -> Part:
    """The month met its guarantee: no downtime credit is owed (policy 004)."""
    return {"code": "guarantee_met", "availability": to_json(availability)}


def no_plan_credit(plan: str) -> Part:
    return {"code": "no_plan_credit", "plan": plan}


def downtime_credit(terms: DowntimeTerms) -> Part:
    return {"code": "downtime_credit", "terms": to_json(terms)}


def no_measure(metric: str, year: int, month: int) -> Part:
    return {"code": "no_measure", "metric": metric, "year": year, "month": month}


def quality(year: int, month: int, terms: QualityTerms, *, earlier: Sequence[int] = ()) -> Part:
    """The month's quality discount; ``earlier`` names the claims that already asked for it (counted once)."""
    part: Part = {"code": "quality", "year": year, "month": month, "terms": to_json(terms)}
    if earlier:
        part["claims"] = list(earlier)
    return part


def recomputed(was: Decimal, currency: str) -> Part:
    """The amount changed at the decision: ``was`` was proposed when the claim was filed."""
    return {"code": "recomputed", "amount": str(was), "currency": currency}


def approved_in_part(amount: Decimal, currency: str) -> Part:
    return {"code": "approved_in_part", "amount": str(amount), "currency": currency}


def text(en: str, **others: str) -> Part:
    """A text said as it was written, per language (English always): rows from before the terms, fixtures."""
    return {"code": "text", "en": en, **others}


# ------------------------------------------------------------------------------------------- the words


def words(parts: Sequence[Part]) -> str:
    """The parts as sentences in the active language, one after the other."""
    return " ".join(_word(part) for part in parts)


def _month(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def _claims(numbers: Sequence[int]) -> str:
    return ", ".join(str(number) for number in numbers)


def _word(part: Part) -> str:
    code = part["code"]
    if code == "confirmed":
        return _confirmed(part)
    if code == "guarantee_met":
        return _(
            "%(availability)s No downtime credit is owed: credits are granted only when the month's "
            "availability falls below the guarantee."
        ) % {"availability": measures.availability(from_json(Availability, part["availability"]))}
    if code == "no_plan_credit":
        return _("The %(plan)s plan carries no service credit.") % {"plan": part["plan"]}
    if code == "downtime_credit":
        return measures.downtime_credit(from_json(DowntimeTerms, part["terms"]))
    if code == "no_measure":
        return _("No measure of %(metric)s is recorded for %(month)s.") % {
            "metric": part["metric"],
            "month": _month(part["year"], part["month"]),
        }
    if code == "quality":
        return _quality(part)
    if code == "recomputed":
        return _("(Computed again when decided; %(amount)s was proposed when it was filed.)") % {
            "amount": f"{part['amount']} {part['currency']}"
        }
    if code == "approved_in_part":
        return _("Approved in part: %(amount)s.") % {"amount": f"{part['amount']} {part['currency']}"}
    if code == "text":
        return str(part.get(get_language() or "en") or part.get("en", ""))
    raise ValueError(f"unknown part of a computation: {code!r}")


def _confirmed(part: Part) -> str:
    duration = format_duration(part["seconds"])
    if "claims" not in part:
        return _("The records confirm %(duration)s of the claimed time.") % {"duration": duration}
    return _(
        "The records confirm %(duration)s of the claimed time; %(twice)s of it is already claimed "
        "(claim %(claims)s), so %(left)s counts."
    ) % {
        "duration": duration,
        "twice": format_duration(part["seconds"] - part["counted"]),
        "claims": _claims(part["claims"]),
        "left": format_duration(part["counted"]),
    }


def _quality(part: Part) -> str:
    values = {
        "month": _month(part["year"], part["month"]),
        "discount": measures.quality_discount(from_json(QualityTerms, part["terms"])),
    }
    if "claims" not in part:
        return _("%(month)s: %(discount)s") % values
    return _("%(month)s: %(discount)s; already claimed (claim %(claims)s): counted once.") % {
        **values,
        "claims": _claims(part["claims"]),
    }
