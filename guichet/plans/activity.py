"""The plans' acts in the activity log, in the reader's language (``audit.explain`` calls ``told``): "Max put
Acme Telecom on the Office plan"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext

from guichet.audit.explain import actor, shown
from guichet.audit.models import AuditEvent
from guichet.customers.models import Organisation

from .models import SlaPlan

SENTENCES = ("organisation.plan_set",)


def told(events: Sequence[AuditEvent]) -> Mapping[int, list[str]]:
    """Plans are named by their name (the event stores the code), organisations by theirs."""
    codes = {e.changes.get("plan") for e in events}
    plans = dict(
        SlaPlan.objects.filter(code__in=[c for c in codes if isinstance(c, str)]).values_list("code", "name")
    )
    organisations = dict(
        Organisation.objects.filter(pk__in={e.target_id for e in events}).values_list("pk", "name")
    )
    return {
        e.pk: [
            gettext("%(actor)s put %(organisation)s on the %(plan)s plan")
            % {
                "actor": actor(e),
                "organisation": shown(organisations.get(e.target_id)),
                "plan": shown(plans.get(e.changes.get("plan")) or e.changes.get("plan")),
            }
        ]
        for e in events
    }
