"""An invoice as a PDF (WeasyPrint, from an HTML template) and as CSV, in French or English."""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string

from guichet.money.amounts import Money

from .models import Invoice

LABELS = {
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "number": "Number",
        "issue_date": "Issue date",
        "billing_date": "Billing date",
        "due_date": "Due date",
        "period": "Period",
        "corrects": "Corrects invoice",
        "description": "Description",
        "amount": "Amount excl. VAT",
        "subtotal": "Total excl. VAT",
        "vat": "VAT",
        "total": "Total incl. VAT",
        "credits_note": "Credits are deducted from invoices; they are not paid in cash.",
    },
    "fr": {
        "invoice": "Facture",
        "credit_note": "Avoir",
        "number": "Numéro",
        "issue_date": "Date d'émission",
        "billing_date": "Date de facturation",
        "due_date": "Échéance",
        "period": "Période",
        "corrects": "Rectifie la facture",
        "description": "Désignation",
        "amount": "Montant HT",
        "subtotal": "Total HT",
        "vat": "TVA",
        "total": "Total TTC",
        "credits_note": "Les crédits sont déduits des factures ; ils ne sont pas remboursés en espèces.",
    },
}


def _money(invoice: Invoice, amount) -> str:
    return str(Money.of(amount, invoice.currency))


def context(invoice: Invoice, language: str = "en") -> dict:
    labels = LABELS.get(language, LABELS["en"])
    profile = getattr(invoice.organisation, "billing_profile", None)
    return {
        "invoice": invoice,
        "language": language if language in LABELS else "en",
        "labels": labels,
        "title": labels[invoice.kind],
        "profile": profile,
        "lines": [(line.description, _money(invoice, line.amount)) for line in invoice.lines.all()],
        "subtotal": _money(invoice, invoice.subtotal),
        "vat": _money(invoice, invoice.vat_amount),
        "total": _money(invoice, invoice.total),
        "has_credits": any(line.credit_id for line in invoice.lines.all()),
    }


def pdf(invoice: Invoice, language: str = "en") -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a while and only PDFs need it

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
