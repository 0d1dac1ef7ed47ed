from django_tasks import task

from .escalation import sweep


@task()
def escalation_sweep() -> dict[str, int]:
    """Run by the scheduler every minute (guichet/jobs/schedule.py)."""
    return sweep()
