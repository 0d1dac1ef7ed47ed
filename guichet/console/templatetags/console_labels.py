"""Codes the console's pages show as words in the reader's language: an outage's cause, what became of an
inbound mail. Filters, not per-row template includes: a list of a hundred rows stays one template."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

CAUSES = {
    "incident": _("Incident"),
    "maintenance": _("Planned maintenance"),
    "force_majeure": _("Force majeure"),
}
MAIL_OUTCOMES = {
    "held": _("Held for an agent"),
    "triage": _("Unknown sender: in triage"),
    "refused": _("Unknown sender: refused with a reply"),
    "opened": _("Opened a ticket"),
    "appended": _("Added to a ticket"),
    "automatic": _("Automatic mail: ignored"),
}


@register.filter
def cause_label(code: str) -> str:
    """{{ outage.cause|cause_label }} -> "Planned maintenance" / "Maintenance planifiée"."""
    return str(CAUSES.get(code, code))


@register.filter
def mail_outcome_label(code: str) -> str:
    """{{ mail.outcome|mail_outcome_label }} -> "Unknown sender: in triage"."""
    return str(MAIL_OUTCOMES.get(code, code))
