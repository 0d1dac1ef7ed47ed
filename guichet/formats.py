"""What the reader reads. Amounts: the currency's decimals, the decimal and thousands separators of the
active language ("1,234.50 EUR" in English, "1 234,50 EUR" in French). Durations in hours and minutes
("2 h 15 min"), days and months with their names ("3 November 2026", "novembre 2026"), instants in the
active time zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext

from guichet.i18n import spoken
from guichet.money.amounts import minor_unit, quantize


def money_text(amount: Decimal | int | str | None, currency: str) -> str:
    if amount is None:
        return "—"
    value = quantize(Decimal(str(amount)), currency)
    text = number_format(value, decimal_pos=minor_unit(currency), use_l10n=True, force_grouping=True)
    return f"{text} {currency}"


def reader_language(person: object, *, browser: str | None = None) -> str:
    """The language to write to ``person`` in, the first of these the site speaks: their own choice (their
    profile's ``language``; blank is "not chosen"), what their browser asks for (``browser``: pages only,
    ``guichet.i18n.browser_language``; a mail has no browser), their organisation's
    (``User.organisation_language``), else the site's default. Pages render under it
    (``customers.middleware``), mail, notifications and PDFs too (``translation.override``)."""
    return (
        spoken(getattr(person, "language", ""))
        or spoken(browser)
        or spoken(getattr(person, "organisation_language", ""))  # read last: it may cost a query
        or settings.LANGUAGE_CODE
    )


def duration_text(seconds: int) -> str:
    """A duration as people say it, in the active language: "3 h", "2 h 05 min", "45 min", to the minute
    (the seconds dropped); under a minute, its seconds ("40 s": a short outage is not "0 min"). The hours
    are grouped as the language writes numbers ("1,200 h", "1 200 h"); a negative duration reads as none."""
    seconds = max(int(seconds), 0)
    if 0 < seconds < 60:
        return gettext("%(seconds)s s") % {"seconds": seconds}
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    values = {"hours": number_format(hours, use_l10n=True, force_grouping=True), "minutes": f"{minutes:02d}"}
    if not minutes:
        return gettext("%(hours)s h") % values
    return gettext("%(hours)s h %(minutes)s min") % values


def day_text(day: date) -> str:
    """A day with its month's name in the active language: "3 November 2026", "3 novembre 2026"."""
    return date_format(day, "j F Y")


def instant_text(at: datetime) -> str:
    """An instant in the active time zone, its day as ``day_text`` says it: "3 November 2026 10:05"."""
    return date_format(timezone.localtime(at), "j F Y H:i")


def month_text(year: int, month: int) -> str:
    """A month by its name in the active language: "November 2026", "novembre 2026"."""
    return date_format(date(year, month, 1), "F Y")
