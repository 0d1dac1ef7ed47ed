"""What the console keeps for its users: saved queue views, the canned replies and macros agents insert, and
who is looking at which ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.tickets.models import Priority, Status


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
    """A ready answer agents start from (managed in the admin). Its body may name placeholders, filled for
    the ticket it is used on (``console.canned.PLACEHOLDERS``). A canned reply that also sets the status,
    the priority, the team or the assignee is a *macro*: one action answers and moves the ticket."""

    title = models.CharField(_("title"), max_length=100, unique=True)
    body = models.TextField(_("text"), blank=True)
    set_status = models.CharField(
        _("then set the status to"), max_length=20, choices=Status.choices, blank=True
    )
    set_priority = models.CharField(
        _("then set the priority to"), max_length=10, choices=Priority.choices, blank=True
    )
    set_team = models.ForeignKey(
        "customers.Team",
        verbose_name=_("then hand the ticket to the team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assign_to_me = models.BooleanField(_("then assign the ticket to the agent who uses it"), default=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title

    @property
    def is_macro(self) -> bool:
        return bool(self.set_status or self.set_priority or self.set_team_id or self.assign_to_me)


class Presence(models.Model):
    """An agent has a ticket open (the page sends a heartbeat every few seconds) and whether they are typing
    an answer: the others see it, so that two agents do not answer at once. The version check of every
    change (409 on a stale edit) stays the guarantee; this only avoids the collision."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    composing = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="one_presence_per_agent")]
        indexes = [models.Index(fields=["ticket", "seen_at"], name="presence_ticket_seen")]

    def __str__(self) -> str:
        return f"{self.user} on ticket {self.ticket_id}"
