"""Who did what, when, through which door. Written by services inside their transaction; read by everyone.

The audit app sits below every domain app: it knows targets only by type and id, and the organisation they
belong to (so a customer's activity log is one indexed query).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Door(models.TextChoices):
    WEB = "web", _("Web (extranet or console)")
    API = "api", _("REST API")
    ADMIN = "admin", _("Django admin")
    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp")
    CHAT = "chat", _("Web chat")
    PHONE = "phone", _("Phone")
    IMPORT = "import", _("Import")
    SYSTEM = "system", _("Guichet (automatic)")
    CLI = "cli", _("Command line")


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    door = models.CharField(max_length=10, choices=Door.choices)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    internal = models.BooleanField(default=False, help_text="Only provider staff may see this event.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "at"]),
            models.Index(fields=["organisation_id", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"
