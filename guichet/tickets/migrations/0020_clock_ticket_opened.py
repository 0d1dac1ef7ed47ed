"""Each clock keeps its ticket's opening (``SlaClock.ticket_opened_at``, which never changes), so that the
dashboard's drill-down — the tickets opened in a period whose clock of a kind was met or breached — reads a
range of one index (``clock_outcome_opened``) instead of probing the clocks of every ticket opened then. The
column is filled from the tickets in one statement, then made required."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def from_tickets(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    SlaClock = apps.get_model("tickets", "SlaClock")
    db = schema_editor.connection.alias
    opened = Ticket.objects.using(db).filter(pk=OuterRef("ticket_id")).values("opened_at")[:1]
    SlaClock.objects.using(db).update(ticket_opened_at=Subquery(opened))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0019_dashboard_covering_indexes")]

    operations = [
        migrations.AddField(
            model_name="slaclock",
            name="ticket_opened_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(from_tickets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="slaclock",
            name="ticket_opened_at",
            field=models.DateTimeField(
                help_text="Its ticket's opening, which never changes: the clocks of a kind and outcome of the "
                "tickets opened in a period (the dashboard's drill-down) are a range of one index."
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                fields=["clock", "state", "ticket_opened_at", "ticket"], name="clock_outcome_opened"
            ),
        ),
    ]
