from django.contrib import admin

from .models import ScheduledRun, WorkerHeartbeat


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period_start", "enqueued_at", "task_result_id")
    list_filter = ("job",)
    readonly_fields = ("job", "period_start", "enqueued_at", "task_result_id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """The workers running now (a row older than GUICHET_WORKER_STALE_SECONDS is a worker about to be
    declared dead)."""

    list_display = ("worker_id", "hostname", "pid", "started_at", "beat_at")
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False
