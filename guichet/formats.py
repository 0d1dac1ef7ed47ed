"""What the reader reads. Amounts: the currency's decimals, the decimal and thousands separators of the
active language ("1,234.50 EUR" in English, "1 234,50 EUR" in French)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format

from guichet.money.amounts import minor_unit, quantize


def money_text(amount: Decimal | int | str | None, currency: str) -> str:
    if amount is None:
        return "—"
    value = quantize(Decimal(str(amount)), currency)
    text = number_format(value, decimal_pos=minor_unit(currency), use_l10n=True, force_grouping=True)
    return f"{text} {currency}"


def reader_language(person: object) -> str:
    """The language to write to ``person`` in: theirs when the site speaks it, else the site's default. Mail
    and notifications render under it (``translation.override``), as pages do under the request's."""
    language = getattr(person, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
