"""What the reader reads. Amounts: the currency's decimals, the decimal and thousands separators of the
active language ("1,234.50 EUR" in English, "1 234,50 EUR" in French)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format

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
