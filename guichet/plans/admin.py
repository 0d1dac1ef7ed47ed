from datetime import UTC, datetime

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join

from .models import Calendar, ClosedDate, PlanTarget, QualityObjective, SlaPlan
from .selectors import business_calendar


class ClosedDateInline(admin.TabularInline):
    model = ClosedDate
    extra = 1


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "hours", "time_zone", "country")
    search_fields = ("name",)
    inlines = [ClosedDateInline]
    readonly_fields = ("next_open_periods",)
    fields = ("name", "hours", "time_zone", "country", "subdivision", "next_open_periods")

    @admin.display(description="Next open periods")
    def next_open_periods(self, obj: Calendar):
        if obj.pk is None:
            return "Saved calendars show their next open periods here."
        cal = business_calendar(obj)
        periods = cal.open_periods(datetime.now(UTC), count=8)
        return format_html_join(
            "\n",
            "<div>{} to {}</div>",
            ((a.strftime("%a %Y-%m-%d %H:%M"), b.strftime("%H:%M %Z")) for a, b in periods),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Closed dates are part of the calendar's version: bump it so cached engines are rebuilt.
        Calendar.objects.filter(pk=form.instance.pk).update(updated_at=timezone.now())


class PlanTargetInline(admin.TabularInline):
    model = PlanTarget
    extra = 0


class QualityObjectiveInline(admin.TabularInline):
    model = QualityObjective
    extra = 0


@admin.register(SlaPlan)
class SlaPlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "availability_guarantee",
        "support_calendar",
        "fault_calendar",
        "credit_rate_per_hour",
        "monthly_credit_cap",
        "phone_queue_priority",
    )
    list_select_related = ("support_calendar", "fault_calendar")
    search_fields = ("name", "code")
    inlines = [PlanTargetInline, QualityObjectiveInline]
