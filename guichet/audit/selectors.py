from django.db.models import QuerySet

from .models import AuditEvent


def history_of(target, *, include_internal: bool) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=target.pk)
    if not include_internal:
        events = events.filter(internal=False)
    return events.select_related("actor")
