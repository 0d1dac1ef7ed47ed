from django_tasks import task

from . import search, sla
from .escalation import sweep
from .stats import recompute


@task()
def escalation_sweep() -> dict[str, int]:
    """Run by the scheduler every minute (guichet/jobs/schedule.py)."""
    return sweep()


@task()
def recompute_calendar(calendar_id: int) -> int:
    """Enqueued when a calendar or one of its closed dates changes (tickets/apps.py)."""

    return sla.recompute_calendar(calendar_id)


@task()
def sla_stats() -> int:
    """Hourly: the supervisors' compliance figures (tickets/stats.py)."""

    return recompute()


@task()
def search_reindex(organisation_id: int | None = None, user_id: int | None = None) -> int:
    """Enqueued by ``customers.services.organisation_rename`` and ``user_rename`` when a name the search
    indexes changed: the tickets that show it are indexed again, by batches (tickets/search.py)."""

    return search.reindex_named(organisation_id=organisation_id, user_id=user_id)
