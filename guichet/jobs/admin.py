from django.contrib import admin

from .models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period_start", "enqueued_at", "task_result_id")
    list_filter = ("job",)
    readonly_fields = ("job", "period_start", "enqueued_at", "task_result_id")
