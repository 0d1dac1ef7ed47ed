"""Housekeeping tasks of the background worker."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import ScheduledRun, SentMail


@task()
def prune_finished_work() -> dict[str, int]:
    """Delete finished task results, scheduler records and the record of mail sent by tasks (no task that
    could send it again is left by then) older than the retention period. Idempotent."""

    cutoff = timezone.now() - timedelta(days=settings.GUICHET_TASK_RESULT_RETENTION_DAYS)
    with transaction.atomic():
        results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
        runs, _ = ScheduledRun.objects.filter(enqueued_at__lt=cutoff).delete()
        mails, _ = SentMail.objects.filter(sent_at__lt=cutoff).delete()
    return {"task_results": results, "scheduled_runs": runs, "sent_mails": mails}
