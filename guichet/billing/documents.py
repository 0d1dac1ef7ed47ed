"""An invoice as a PDF (WeasyPrint, from an HTML template) and as CSV, in French or English."""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string
from django.utils.translation import pgettext

from guichet.i18n import reading
from guichet.money.amounts import Money

from .models import Invoice


def labels() -> dict[str, str]:
    """The words of an invoice document in the active language (``guichet.i18n.reading``)."""
    return {
        "invoice": pgettext("invoice document", "Invoice"),
        "credit_note": pgettext("invoice document", "Credit note"),
        "number": pgettext("invoice document", "Number"),
        "issue_date": pgettext("invoice document", "Issue date"),
        "billing_date": pgettext("invoice document", "Billing date"),
        "due_date": pgettext("invoice document", "Due date"),
        "period": pgettext("invoice document", "Period"),
        "corrects": pgettext("invoice document", "Corrects invoice"),
        "description": pgettext("invoice document", "Description"),
        "amount": pgettext("invoice document", "Amount excl. VAT"),
        "subtotal": pgettext("invoice document", "Total excl. VAT"),
        "vat": pgettext("invoice document", "VAT"),
        "total": pgettext("invoice document", "Total incl. VAT"),
        "credits_note": pgettext(
            "invoice document", "Credits are deducted from invoices; they are not paid in cash."
        ),
    }


def _money(invoice: Invoice, amount) -> str:
    return str(Money.of(amount, invoice.currency))


def context(invoice: Invoice, language: str = "en") -> dict:
    with reading(language) as chosen:
        words = labels()
    profile = getattr(invoice.organisation, "billing_profile", None)
    return {
        "invoice": invoice,
        "language": chosen,
        "labels": words,
        "title": words[invoice.kind],
        "profile": profile,
        "lines": [(line.description, _money(invoice, line.amount)) for line in invoice.lines.all()],
        "subtotal": _money(invoice, invoice.subtotal),
        "vat": _money(invoice, invoice.vat_amount),
        "total": _money(invoice, invoice.total),
        "has_credits": any(line.credit_id for line in invoice.lines.all()),
    }


def pdf(invoice: Invoice, language: str = "en") -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a while and only PDFs need it

    with reading(language):
        html = render_to_string("billing/invoice.html", context(invoice, language))
    return HTML(string=html).write_pdf()


def csv_text(invoice: Invoice) -> str:
    """One row per line, then the totals; amounts with the currency's decimals, dot as decimal mark."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "number",
            "kind",
            "issue_date",
            "period",
            "position",
            "description",
            "first_day",
            "last_day",
            "amount",
            "currency",
        ]
    )
    period = f"{invoice.year}-{invoice.month:02d}"
    for line in invoice.lines.all():
        writer.writerow(
            [
                invoice.number,
                invoice.kind,
                invoice.issue_date.isoformat(),
                period,
                line.position,
                line.description,
                line.first_day.isoformat() if line.first_day else "",
                line.last_day.isoformat() if line.last_day else "",
                Money.of(line.amount, invoice.currency).amount,
                invoice.currency,
            ]
        )
    for label, amount in (
        ("subtotal", invoice.subtotal),
        (f"vat {invoice.vat_rate} %", invoice.vat_amount),
        ("total", invoice.total),
    ):
        writer.writerow(
            [
                invoice.number,
                invoice.kind,
                invoice.issue_date.isoformat(),
                period,
                "",
                label,
                "",
                "",
                Money.of(amount, invoice.currency).amount,
                invoice.currency,
            ]
        )
    return out.getvalue()
