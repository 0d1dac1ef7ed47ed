"""What the console keeps for its users: saved queue views, and the canned replies agents insert."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A queue's filters, saved under a name by an agent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True, help_text="The queue's query string.")

    class Meta:
        ordering = ["user", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="one_view_per_name")]

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    """A ready answer agents start from (managed in the admin)."""

    title = models.CharField(max_length=100, unique=True)
    body = models.TextField()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title
