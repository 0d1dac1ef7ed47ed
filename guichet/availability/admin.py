from django.contrib import admin

from .models import Outage, QualityMeasurement


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read here; recorded through the API (the services trace each act)."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Outage)
class OutageAdmin(ReadOnlyAdmin):
    """Declared, ended and announced through the API."""

    list_display = ("started_at", "ended_at", "cause", "source", "title", "announced_at", "ticket")
    list_filter = ("cause", "source")
    search_fields = ("title", "subscriptions__identifier")
    filter_horizontal = ("subscriptions",)


@admin.register(QualityMeasurement)
class QualityMeasurementAdmin(ReadOnlyAdmin):
    list_display = ("subscription", "metric", "year", "month", "value", "recorded_at")
    list_filter = ("metric",)
    search_fields = ("subscription__identifier",)
