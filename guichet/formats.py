"""Amounts as the viewer reads them: the currency's decimals, the decimal and thousands separators of the
active language ("1,234.50 EUR" in English, "1 234,50 EUR" in French)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

from guichet.money.amounts import minor_unit, quantize


def money_text(amount: Decimal | int | str | None, currency: str) -> str:
    if amount is None:
        return "—"
    value = quantize(Decimal(str(amount)), currency)
    text = number_format(value, decimal_pos=minor_unit(currency), use_l10n=True, force_grouping=True)
    return f"{text} {currency}"
