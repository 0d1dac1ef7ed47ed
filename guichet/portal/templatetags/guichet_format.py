from django import template

from guichet.formats import day_text, duration_text, money_text

register = template.Library()


@register.filter
def money(amount, currency):
    """{{ claim.proposed_amount|money:claim.currency }} -> "40.00 EUR" (English) / "40,00 EUR" (French)."""
    return money_text(amount, currency)


@register.filter
def duration(seconds):
    """{{ a.down_seconds|duration }} -> "2 h 15 min" ("40 s" under a minute), in the reader's language."""
    return duration_text(seconds)


@register.filter
def day(value):
    """{{ s.start_date|day }} -> "15 January 2026" / "15 janvier 2026": a day by its month's name."""
    return day_text(value) if value else ""
