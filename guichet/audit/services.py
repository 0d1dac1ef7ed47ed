"""The one way to write the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import AuditEvent, Door


def record(
    *,
    actor,
    door: Door,
    action: str,
    target,
    organisation_id: int | None = None,
    changes: dict[str, Any] | None = None,
    internal: bool = False,
    at: datetime | None = None,
) -> AuditEvent:
    """Record an event about ``target`` (a saved model instance). Call it inside the change's transaction."""
    if door not in Door.values:
        raise ValueError(f"unknown door {door!r}")
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        door=door,
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        organisation_id=organisation_id,
        changes=_jsonable(changes or {}),
        internal=internal,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
