"""The tickets' events in an organisation's activity log: the sentences of their history (``history``),
each after its ticket's reference ("GT-2026-000123: Carla replied by email"); ``audit.explain`` asks
``told`` for them. The activity log shows only what the customer may see (``internal`` events are left out
by the caller), as the ticket's own history does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext

from guichet.audit.explain import ids
from guichet.audit.models import AuditEvent

from .history import SENTENCES, names_of, sentences
from .models import Ticket

__all__ = ["SENTENCES", "told"]


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    names = names_of(events)
    references = dict(Ticket.objects.filter(pk__in=ids(events)).values_list("pk", "reference"))
    return {
        e.pk: [
            gettext("%(ticket)s: %(sentence)s")
            % {"ticket": references.get(e.target_id, "—"), "sentence": said}
            for said in sentences(e, names)
        ]
        for e in events
    }
