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


class WorkerHeartbeat(models.Model):
    """One running `guichet worker` process, seen alive at ``beat_at``.

    A thread of each worker refreshes its row every GUICHET_WORKER_HEARTBEAT_SECONDS. A worker whose row is
    older than GUICHET_WORKER_STALE_SECONDS is presumed dead (killed, out of memory, its machine gone): the
    scheduler of any other worker puts the tasks it was running back in the queue and deletes its row
    (guichet/jobs/worker.py). A worker that stops normally deletes its own row.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"


class SentMail(models.Model):
    """A mail that a task has sent, by its Message-ID: what makes a mail task safe to run again.

    Tasks run at least once (a task whose worker died is run again), so a task that sends mail without
    recording it elsewhere sends through ``guichet.jobs.mail.send_once``: the row is inserted in the same
    transaction as the send, and a second run finds it and sends nothing. Only a crash between the SMTP
    server's acceptance and the commit sends a mail twice, and then with the same Message-ID.
    """

    message_id = models.CharField(max_length=255, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return self.message_id
