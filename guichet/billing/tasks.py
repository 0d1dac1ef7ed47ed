"""Mail of billing: the decision on a claim, to the customer."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_tasks import task

from guichet import provider
from guichet.customers.models import ContactRole
from guichet.customers.permissions import is_customer
from guichet.formats import reader_language
from guichet.i18n import reading
from guichet.jobs.mail import message_id, send_once
from guichet.money.amounts import Money
from guichet.money.terms import previous_month

from . import documents
from .invoicing import billing_run
from .models import Claim, Invoice, InvoiceDelivery


def _status(status: str) -> str:
    """The decision as the mail says it (lower case, in the active language)."""
    if status == Claim.Status.APPROVED:
        return pgettext("claim decision", "approved")
    if status == Claim.Status.PARTIAL:
        return pgettext("claim decision", "approved in part")
    return pgettext("claim decision", "rejected")


def _decision(values: dict[str, str]) -> tuple[str, str]:
    """The decision mail's subject and body in the active language."""
    subject = _("Your SLA claim for %(month)s: %(status)s") % values
    body = (
        _(
            "Hello %(name)s,\n\nYour claim of %(filed)s for %(service)s %(identifier)s (%(month)s, ticket "
            "%(ticket)s) has been decided: %(status)s.\n\n%(amount_line)s%(reason_line)sHow it was computed: "
            "%(computation)s\n\nCredits are deducted from your next invoice; they are not paid in cash.\n"
        )
        % values
    )
    return subject, body


@task()
def send_claim_decision(claim_pk: int) -> int:
    """Mail the decision to whoever filed the claim (a customer), and to the contact address the claim gives
    when it is a mail address; returns how many mails left."""
    claim = Claim.objects.select_related("subscription__service", "filed_by", "ticket").get(pk=claim_pk)
    recipients: dict[str, tuple[str, str]] = {}
    if is_customer(claim.filed_by) and claim.filed_by.email:
        recipients[claim.filed_by.email.lower()] = (
            claim.filed_by.display_name,
            reader_language(claim.filed_by),
        )
    if "@" in claim.customer_contact and " " not in claim.customer_contact.strip():
        language = (
            reader_language(claim.filed_by)
            if is_customer(claim.filed_by)
            else claim.subscription.organisation.language  # filed by staff for the customer
        )
        recipients.setdefault(claim.customer_contact.strip().lower(), (claim.customer_name, language))
    amount = str(Money.of(claim.approved_amount, claim.currency)) if claim.approved_amount else ""
    for address, (name, language) in recipients.items():
        with reading(language):
            subject, body = _decision(
                {
                    "name": name,
                    "month": f"{claim.year}-{claim.month:02d}",
                    "filed": claim.filed_at.date().isoformat(),
                    "service": claim.subscription.service.name,
                    "identifier": claim.subscription.identifier,
                    "ticket": claim.ticket.reference,
                    "status": _status(claim.status),
                    "amount_line": _("Credit: %(amount)s\n\n") % {"amount": amount} if amount else "",
                    "reason_line": (f"{claim.decision_reason}\n\n" if claim.decision_reason else ""),
                    "computation": claim.computation_in(language),
                }
            )
        message = EmailMessage(
            subject=subject.replace("\r", " ").replace("\n", " "),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Auto-Submitted": "auto-generated"},
        )
        send_once(message, "claim-decision", claim.pk, address)  # a second run sends nothing again
    return len(recipients)


def _invoice_mail(values: dict[str, str]) -> str:
    """The invoice mail's body in the active language (its subject is the document's title and number)."""
    return (
        _(
            "Hello,\n\nPlease find attached %(title_lower)s %(number)s of %(issue_date)s for "
            "%(organisation)s, period %(period)s: %(total)s including VAT, due on %(due_date)s.\n\nIts "
            "details and duplicates are in your extranet and through the API (GET /api/v1/invoices).\n"
        )
        % values
    )


def invoice_recipients(invoice) -> list[tuple[str, str]]:
    """(address, language): the billing profile's address, else the billing contacts, else the admin ones."""

    organisation = invoice.organisation
    contacts = list(organisation.contacts.filter(is_active=True).select_related("user"))
    profile = getattr(organisation, "billing_profile", None)
    if profile is not None and profile.invoice_email:
        language = next(
            (reader_language(c.user) for c in contacts if c.has_role(ContactRole.BILLING)),
            organisation.language,
        )
        return [(profile.invoice_email, language)]
    for role in (ContactRole.BILLING, ContactRole.ADMIN):
        chosen = [
            (c.user.email, reader_language(c.user)) for c in contacts if c.has_role(role) and c.user.email
        ]
        if chosen:
            return chosen
    return []


@task()
def send_invoice(invoice_pk: int) -> int:
    """Mail an issued invoice or credit note, with its PDF, once (``InvoiceDelivery``); returns how many
    recipients. A failure to send rolls the delivery back and raises: the task's result shows it."""

    invoice = Invoice.objects.select_related("organisation").get(pk=invoice_pk)
    recipients = invoice_recipients(invoice)
    if not recipients:
        return 0
    with transaction.atomic():
        _, created = InvoiceDelivery.objects.get_or_create(
            invoice=invoice,
            defaults={"sent_at": timezone.now(), "recipients": ", ".join(a for a, _ in recipients)},
        )
        if not created:
            return 0
        for address, language in recipients:
            with reading(language):
                title = documents.labels()[invoice.kind]
                body = _invoice_mail(
                    {
                        "title_lower": pgettext("invoice mail", "invoice")
                        if invoice.kind == "invoice"
                        else pgettext("invoice mail", "credit note"),
                        "number": invoice.number,
                        "issue_date": invoice.issue_date.isoformat(),
                        "organisation": invoice.organisation.name,
                        "period": f"{invoice.year}-{invoice.month:02d}",
                        "total": str(Money.of(invoice.total, invoice.currency)),
                        "due_date": invoice.due_date.isoformat(),
                    }
                )
            message = EmailMessage(
                subject=f"{title} {invoice.number}".replace("\r", " ").replace("\n", " "),
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
                # Sent again only if a crash came between the send and the commit: with the same id.
                headers={
                    "Auto-Submitted": "auto-generated",
                    "Message-ID": message_id("invoice", invoice.pk, address),
                },
            )
            message.attach(f"{invoice.number}.pdf", documents.pdf(invoice, language), "application/pdf")
            message.send()
    return len(recipients)


@task()
def monthly_billing() -> dict[str, int]:
    """The daily job: bill the month that ended, if not done yet (a run is idempotent). It runs on the 1st,
    well within the 4 business days after the billing date that policy 002 allows."""

    today = provider.today()
    return billing_run(*previous_month(today.year, today.month))
