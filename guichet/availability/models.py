"""Outages of subscriptions — declared by the NOC or posted by monitoring — and the maintenance windows
announced to customers; the availability of a month is computed from them (never stored)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Cause(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    MAINTENANCE = "maintenance", _("Planned maintenance")
    FORCE_MAJEURE = "force_majeure", _("Force majeure")


class Source(models.TextChoices):
    NOC = "noc", _("Declared by the NOC")
    MONITORING = "monitoring", _("Posted by monitoring")


class Outage(models.Model):
    """A time the service of one or more subscriptions was down (or, for maintenance, will be)."""

    cause = models.CharField(max_length=15, choices=Cause.choices, default=Cause.INCIDENT)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.NOC)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Empty while it lasts.")
    subscriptions = models.ManyToManyField("contracts.Subscription", related_name="outages")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="outages"
    )
    announced_at = models.DateTimeField(
        null=True, blank=True, help_text="Maintenance: when the customers' contacts were told."
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_key = models.CharField(
        max_length=200, unique=True, null=True, blank=True, help_text="Monitoring's id of the alert."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["started_at", "ended_at"], name="outage_period")]

    def __str__(self) -> str:
        return f"{self.get_cause_display()}: {self.title} ({self.started_at:%Y-%m-%d %H:%M})"


class QualityMeasurement(models.Model):
    """A subscription's measure of a metric over a calendar month (posted by monitoring or the NOC), read
    against its plan's quality objective."""

    subscription = models.ForeignKey(
        "contracts.Subscription", on_delete=models.CASCADE, related_name="measurements"
    )
    metric = models.SlugField(max_length=40)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=12, decimal_places=3)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["subscription", "metric", "year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "metric", "year", "month"], name="one_measure_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.metric} {self.year}-{self.month:02d}: {self.value}"
