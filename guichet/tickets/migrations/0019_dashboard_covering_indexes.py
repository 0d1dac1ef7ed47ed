"""Covering indexes for the dashboard: the open tickets by age with their assignee and flag (PostgreSQL's one
pass over them), a team's open tickets by age and by agent, and the day rows' sums unfiltered."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("tickets", "0018_ticket_breached")]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_status_opened"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["status", "opened_at", "assignee", "breached"], name="ticket_status_opened"
            ),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['team', 'status', 'opened_at', 'assignee', 'breached'], name='ticket_team_opened'),
        ),
        migrations.AddIndex(
            model_name='ticketdaystat',
            index=models.Index(fields=['day', 'plan', 'priority', 'opened', 'resolved', 'first_response_met', 'first_response_breached', 'intervention_met', 'intervention_breached', 'resolution_met', 'resolution_breached'], name='day_stat_sums'),
        ),
    ]
