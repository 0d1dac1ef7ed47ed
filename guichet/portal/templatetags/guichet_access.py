"""What the signed-in user may reach, for the navigation: the rules are the selectors'."""

from django import template

from guichet.billing.selectors import may_see_invoices
from guichet.customers.permissions import may_handle_mail, may_see_dashboard

register = template.Library()


@register.filter
def sees_invoices(user) -> bool:
    """{% if request.user|sees_invoices %}: staff, and the admin or billing contacts of an organisation."""
    return user.is_authenticated and may_see_invoices(user)


@register.filter
def sees_dashboard(user) -> bool:
    """{% if request.user|sees_dashboard %}: supervisors, account managers and admins."""
    return may_see_dashboard(user)


@register.filter
def handles_mail(user) -> bool:
    """{% if request.user|handles_mail %}: the support desk, supervisors and admins (held mail)."""
    return may_handle_mail(user)
