"""Mail of billing: the decision on a claim, to the customer."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from guichet.customers.models import User
from guichet.money.amounts import Money

from .models import Claim

DECISION = {
    "en": (
        "Your SLA claim for {month}: {status}",
        "Hello {name},\n\nYour claim of {filed} for {service} {identifier} ({month}, ticket {ticket}) "
        "has been decided: {status}.\n\n{amount_line}{reason_line}How it was computed: {computation}\n\n"
        "Credits are deducted from your next invoice; they are not paid in cash.\n",
    ),
    "fr": (
        "Votre réclamation SLA pour {month} : {status}",
        "Bonjour {name},\n\nVotre réclamation du {filed} pour {service} {identifier} "
        "({month}, ticket {ticket}) a été traitée : {status}.\n\n{amount_line}{reason_line}"
        "Calcul : {computation}\n\n"
        "Les crédits sont déduits de votre prochaine facture ; ils ne sont pas remboursés en espèces.\n",
    ),
}
STATUS = {
    "fr": {"approved": "approuvée", "partial": "approuvée en partie", "rejected": "rejetée"},
    "en": {"approved": "approved", "partial": "approved in part", "rejected": "rejected"},
}


@task()
def send_claim_decision(claim_pk: int) -> int:
    """Mail the decision to whoever filed the claim (a customer), and to the contact address the claim gives
    when it is a mail address; returns how many mails left."""
    claim = Claim.objects.select_related("subscription__service", "filed_by", "ticket").get(pk=claim_pk)
    recipients: dict[str, tuple[str, str]] = {}
    if claim.filed_by.kind == User.Kind.CUSTOMER and claim.filed_by.email:
        recipients[claim.filed_by.email.lower()] = (claim.filed_by.display_name, claim.filed_by.language)
    if "@" in claim.customer_contact and " " not in claim.customer_contact.strip():
        language = claim.filed_by.language if claim.filed_by.kind == User.Kind.CUSTOMER else "en"
        recipients.setdefault(claim.customer_contact.strip().lower(), (claim.customer_name, language))
    for address, (name, language) in recipients.items():
        language = language if language in DECISION else "en"
        subject, body = DECISION[language]
        amount = str(Money.of(claim.approved_amount, claim.currency)) if claim.approved_amount else ""
        values = {
            "name": name,
            "month": f"{claim.year}-{claim.month:02d}",
            "filed": claim.filed_at.date().isoformat(),
            "service": claim.subscription.service.name,
            "identifier": claim.subscription.identifier,
            "ticket": claim.ticket.reference,
            "status": STATUS[language][claim.status],
            "amount_line": (f"Crédit : {amount}\n\n" if language == "fr" else f"Credit: {amount}\n\n")
            if amount
            else "",
            "reason_line": (f"{claim.decision_reason}\n\n" if claim.decision_reason else ""),
            "computation": claim.computation,
        }
        EmailMessage(
            subject=subject.format(**values).replace("\r", " ").replace("\n", " "),
            body=body.format(**values),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Auto-Submitted": "auto-generated"},
        ).send()
    return len(recipients)
