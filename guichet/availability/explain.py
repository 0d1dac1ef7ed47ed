"""The SLA's measures in words, in the active language (``guichet.i18n.reading``): a month's availability,
a downtime credit, a quality discount. The numbers come from ``guichet.money`` and are written the same way
in every language; only the words around them are translated (guichet/locale)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guichet.money.amounts import Money
from guichet.money.availability import Availability
from guichet.money.credits import Credit, DowntimeTerms, QualityOutcome, QualityTerms
from guichet.money.intervals import format_duration

# The explanations are read by customers: a real multiplication sign, escaped to keep the source ASCII.
TIMES = "\N{MULTIPLICATION SIGN}"


def number(value: Decimal) -> str:
    """A rate or a measurement as written, without exponent or trailing zeros: 20, 12.5, 0.25."""
    text = f"{value.normalize():f}"
    return "0" if text in {"-0", "0"} else text


def money(amount: Decimal, currency: str) -> str:
    return str(Money(amount, currency))


def availability(result: Availability) -> str:
    """One sentence: the month, time in service, downtime, percentage, guarantee and verdict."""
    label = f"{result.start:%Y-%m}"
    if result.period_seconds == 0:
        text = _("%(label)s: not in service this month: %(percent)s %%") % {
            "label": label,
            "percent": result.percent,
        }
    else:
        if result.partial:
            # Part of the month only: say which part, in the month's time zone.
            label = _("%(month)s (from %(start)s to %(end)s)") % {
                "month": label,
                "start": f"{result.start:%Y-%m-%d %H:%M}",
                "end": f"{result.end:%Y-%m-%d %H:%M}",
            }
        text = _(
            "%(label)s: %(period)s in service, %(down)s down (excluding planned maintenance and force "
            "majeure): %(percent)s %%"
        ) % {
            "label": label,
            "period": format_duration(result.period_seconds),
            "down": format_duration(result.down_seconds),
            "percent": result.percent,
        }
    if result.guarantee is None:
        return _("%(text)s, no guarantee.") % {"text": text}
    verdict = pgettext("guarantee", "met") if result.met else pgettext("guarantee", "not met")
    return _("%(text)s against %(guarantee)s %% guaranteed: %(verdict)s.") % {
        "text": text,
        "guarantee": f"{result.guarantee:f}",
        "verdict": verdict,
    }


@dataclass(frozen=True)
class Measured(Availability):
    """A month's availability as the services return it: the core's numbers, worded on demand in the active
    language (``explain``)."""

    @classmethod
    def of(cls, result: Availability) -> Measured:
        return cls(**{field.name: getattr(result, field.name) for field in fields(result)})

    def explain(self) -> str:
        return availability(self)


def credit(result: Credit) -> str:
    """A downtime credit's or a quality discount's computation."""
    if isinstance(result.terms, DowntimeTerms):
        return downtime_credit(result.terms)
    return quality_discount(result.terms)


def downtime_credit(terms: DowntimeTerms) -> str:
    """``20 % of 100.00 EUR per hour x 5 h 00 min = 100.00 EUR, capped at 50 % of the monthly fee (50.00
    EUR) = 50.00 EUR`` (with a real multiplication sign)."""
    currency = terms.currency
    duration = format_duration(terms.minutes * 60)
    if terms.down_seconds % 60:
        duration = _("%(duration)s (%(exact)s, a started minute counts)") % {
            "duration": duration,
            "exact": format_duration(terms.down_seconds),
        }
    text = _("%(rate)s %% of %(fee)s per hour %(times)s %(duration)s = %(amount)s") % {
        "rate": number(terms.rate_percent),
        "fee": money(terms.fee, currency),
        "times": TIMES,
        "duration": duration,
        "amount": money(terms.uncapped, currency),
    }
    if terms.cap_percent is None or terms.cap is None or not terms.capped:
        return text
    values = {
        "text": text,
        "percent": number(terms.cap_percent),
        "cap": money(terms.cap, currency),
        "amount": money(terms.amount, currency),
    }
    if terms.already_credited:
        return _(
            "%(text)s, capped at %(percent)s %% of the monthly fee (%(cap)s, %(credited)s already credited "
            "this month) = %(amount)s"
        ) % {**values, "credited": money(terms.already_credited, currency)}
    return _("%(text)s, capped at %(percent)s %% of the monthly fee (%(cap)s) = %(amount)s") % values


def quality_discount(terms: QualityTerms) -> str:
    """``measured 63 ms against 50 ms objective (13 ms over): tier from 10 ms, 10 % of 100.00 EUR = 10.00
    EUR``."""
    suffix = f" {terms.unit}" if terms.unit else ""
    head = _("measured %(measured)s against %(objective)s objective") % {
        "measured": f"{number(terms.measured)}{suffix}",
        "objective": f"{number(terms.objective)}{suffix}",
    }
    if terms.outcome == QualityOutcome.MET:
        return _("%(head)s: objective met, no discount") % {"head": head}
    miss = {"head": head, "miss": f"{number(terms.miss)}{suffix}"}
    if terms.higher_is_worse:
        head = _("%(head)s (%(miss)s over)") % miss
    else:
        head = _("%(head)s (%(miss)s under)") % miss
    if terms.outcome == QualityOutcome.BELOW_FIRST_TIER:
        if terms.lowest_threshold is None:
            return _("%(head)s: below the first tier, no discount") % {"head": head}
        return _("%(head)s: below the first tier (from %(threshold)s), no discount") % {
            "head": head,
            "threshold": f"{number(terms.lowest_threshold)}{suffix}",
        }
    assert terms.threshold is not None and terms.discount_percent is not None
    return _("%(head)s: tier from %(threshold)s, %(percent)s %% of %(fee)s = %(amount)s") % {
        "head": head,
        "threshold": f"{number(terms.threshold)}{suffix}",
        "percent": number(terms.discount_percent),
        "fee": money(terms.fee, terms.currency),
        "amount": money(terms.amount, terms.currency),
    }
