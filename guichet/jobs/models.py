from django.db import models


class ScheduledRun(models.Model):
    """One period of one periodic job, claimed by the first scheduler that inserts it.

    The unique constraint is the lock: with several workers (several schedulers) on one database, exactly
    one insert per (job, period) succeeds, so periodic work is enqueued once per period whatever the number
    of processes, and a restarted worker does not enqueue a period twice.
    """

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="one_run_per_job_period")]
        indexes = [models.Index(fields=["enqueued_at"])]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period_start.isoformat()}"
