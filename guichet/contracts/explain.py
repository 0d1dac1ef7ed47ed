"""A termination's earliest end in words, in the active language (``guichet.i18n.reading``), from the terms
``guichet.money.terms.earliest_termination`` returns (a termination request stores them: ``terms``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from guichet.i18n import from_json, to_json
from guichet.money.terms import Termination


def termination(result: Termination) -> str:
    """``Started 2026-01-15 with a 12-month commitment renewed every 12 months; a request on 2026-12-20
    gives 30 days' notice by 2027-01-19, after the term ending 2027-01-15, so the service ends with the next
    term: last day 2028-01-14.``"""
    if result.renewal_months == 1:
        renewal = _("renewed every month")
    else:
        renewal = _("renewed every %(months)s months") % {"months": result.renewal_months}
    notice = ngettext("%(days)s day's notice", "%(days)s days' notice", result.notice_days) % {
        "days": result.notice_days
    }
    request = _(
        "Started %(start)s with a %(commitment)s-month commitment %(renewal)s; a request on %(requested_on)s "
        "gives %(notice)s by %(notice_end)s"
    ) % {
        "start": result.start,
        "commitment": result.commitment_months,
        "renewal": renewal,
        "requested_on": result.requested_on,
        "notice": notice,
        "notice_end": result.notice_end,
    }
    if result.previous_end is None:
        reason = _("within the commitment ending %(end)s, so the service ends with it") % {
            "end": result.term_end
        }
    else:
        reason = _("after the term ending %(end)s, so the service ends with the next term") % {
            "end": result.previous_end
        }
    return _("%(request)s, %(reason)s: last day %(last_day)s.") % {
        "request": request,
        "reason": reason,
        "last_day": result.last_day,
    }


def terms(result: Termination) -> dict[str, Any]:
    """What a termination request stores: the terms, worded when read (``stored``)."""
    return {"code": "termination", **to_json(result)}


def text(en: str, **others: str) -> dict[str, Any]:
    """A text said as it was written, per language (English always): rows from before the terms, fixtures."""
    return {"code": "text", "en": en, **others}


def stored(data: dict[str, Any]) -> str:
    """A termination request's stored terms in the active language."""
    if data.get("code") == "termination":
        return termination(from_json(Termination, data))
    return str(data.get(get_language() or "en") or data.get("en", ""))
