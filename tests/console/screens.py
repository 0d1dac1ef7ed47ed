"""What the console's screen tests share: a signed-in browser, the audit events of an action."""

from django.test import Client

from guichet.audit.models import AuditEvent


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def events(action: str, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))
