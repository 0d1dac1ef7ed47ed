from django import template

from guichet.formats import duration_text, money_text

register = template.Library()


@register.filter
def money(amount, currency):
    """{{ claim.proposed_amount|money:claim.currency }} -> "40.00 EUR" (English) / "40,00 EUR" (French)."""
    return money_text(amount, currency)


@register.filter
def duration(seconds):
    """{{ a.down_seconds|duration }} -> "2 h 15 min" ("40 s" under a minute), in the reader's language."""
    return duration_text(seconds)
