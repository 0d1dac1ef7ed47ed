"""Each ticket keeps whether any of its clocks is breached (``Ticket.breached``, written with ``next_due_at`` by
``sla.refresh_next_due`` and by the breach sweep), and the index the dashboard's agents' load counts open
tickets from: the flag is set here from the clocks already stored, in one statement."""

from django.db import migrations, models


def from_clocks(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    SlaClock = apps.get_model("tickets", "SlaClock")
    breached = SlaClock.objects.using(schema_editor.connection.alias).filter(state="breached")
    Ticket.objects.using(schema_editor.connection.alias).filter(
        pk__in=breached.values("ticket_id")
    ).update(breached=True)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_clock_breached_index")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="breached",
            field=models.BooleanField(
                default=False,
                help_text="At least one of its clocks is breached (kept with next_due_at: sla.refresh_next_due).",
            ),
        ),
        migrations.RunPython(from_clocks, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["breached", "status", "assignee", "next_due_at"], name="ticket_open_load"
            ),
        ),
    ]
