"""What the console's screen tests share: a signed-in browser, the audit events of an action."""

from guichet.audit.models import AuditEvent
from tests.helpers import signed_in as browser

__all__ = ["browser", "events"]


def events(action: str, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))
