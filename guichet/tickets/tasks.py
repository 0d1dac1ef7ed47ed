from django_tasks import task

from .escalation import sweep


@task()
def escalation_sweep() -> dict[str, int]:
    """Run by the scheduler every minute (guichet/jobs/schedule.py)."""
    return sweep()


@task()
def recompute_calendar(calendar_id: int) -> int:
    """Enqueued when a calendar or one of its closed dates changes (tickets/apps.py)."""
    from . import sla

    return sla.recompute_calendar(calendar_id)


@task()
def sla_stats() -> int:
    """Hourly: the supervisors' compliance figures (tickets/stats.py)."""
    from .stats import recompute

    return recompute()
