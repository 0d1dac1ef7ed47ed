from django import template

from guichet.formats import money_text

register = template.Library()


@register.filter
def money(amount, currency):
    """{{ claim.proposed_amount|money:claim.currency }} -> "40.00 EUR" (English) / "40,00 EUR" (French)."""
    return money_text(amount, currency)
