"""Reactions of the tickets app to changes elsewhere, connected once by ``TicketsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from guichet.jobs.enqueue import enqueue_with_commit
from guichet.plans.models import Calendar, ClosedDate

from .models import SlaClock


def calendar_changed(sender: type[Model], instance: Calendar | ClosedDate, **kwargs: Any) -> None:
    """A calendar or one of its closed dates changed: the clocks still counting on it get new instants."""
    calendar_id = instance.pk if isinstance(instance, Calendar) else instance.calendar_id
    if SlaClock.objects.filter(calendar_id=calendar_id, stopped=False).exists():
        enqueue_with_commit("guichet.tickets.tasks.recompute_calendar", calendar_id)


def connect() -> None:
    for model in (Calendar, ClosedDate):
        for signal in (post_save, post_delete):
            signal.connect(calendar_changed, sender=model, dispatch_uid=f"recompute-{model.__name__}")
