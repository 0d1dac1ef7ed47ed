"""The dashboard's day rollups (tickets/stats.py) replace the month rows; indexes for what it still counts
live: open tickets of a period by status and opening, an organisation's tickets of a period, whether a ticket has
a breached clock. The hourly sla-stats job fills the new rows at its next run."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0004_explanations_as_terms"),
        ("customers", "0009_ordering_ties_broken_by_id"),
        ("plans", "0003_quality"),
        ("tickets", "0015_priority_queue_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentDayStat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("resolved", models.PositiveIntegerField(default=0)),
                ("first_response_met", models.PositiveIntegerField(default=0)),
                ("first_response_breached", models.PositiveIntegerField(default=0)),
                ("computed_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["day", "assignee", "team", "plan"],
            },
        ),
        migrations.CreateModel(
            name="TicketDayStat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                (
                    "priority",
                    models.CharField(
                        choices=[
                            ("low", "Low"),
                            ("medium", "Medium"),
                            ("high", "High"),
                            ("urgent", "Urgent"),
                        ],
                        max_length=10,
                    ),
                ),
                ("opened", models.PositiveIntegerField(default=0)),
                (
                    "resolved",
                    models.PositiveIntegerField(
                        default=0, help_text="Tickets resolved that day (not opened)."
                    ),
                ),
                ("first_response_met", models.PositiveIntegerField(default=0)),
                ("first_response_breached", models.PositiveIntegerField(default=0)),
                ("intervention_met", models.PositiveIntegerField(default=0)),
                ("intervention_breached", models.PositiveIntegerField(default=0)),
                ("resolution_met", models.PositiveIntegerField(default=0)),
                ("resolution_breached", models.PositiveIntegerField(default=0)),
                ("computed_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["day", "plan", "priority", "team", "organisation"],
            },
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(fields=["ticket", "state"], name="clock_ticket_state"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "opened_at"], name="ticket_status_opened"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["organisation", "opened_at"], name="ticket_org_period"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["organisation", "resolved_at"], name="ticket_org_resolved"),
        ),
        migrations.AddField(
            model_name="agentdaystat",
            name="assignee",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="agentdaystat",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="plans.slaplan"
            ),
        ),
        migrations.AddField(
            model_name="agentdaystat",
            name="team",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="customers.team"
            ),
        ),
        migrations.AddField(
            model_name="ticketdaystat",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="customers.organisation"
            ),
        ),
        migrations.AddField(
            model_name="ticketdaystat",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="plans.slaplan"
            ),
        ),
        migrations.AddField(
            model_name="ticketdaystat",
            name="team",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="customers.team"
            ),
        ),
        migrations.DeleteModel(
            name="SlaMonthStat",
        ),
        migrations.AddIndex(
            model_name="agentdaystat",
            index=models.Index(fields=["team", "day"], name="agent_day_stat_team"),
        ),
        migrations.AddConstraint(
            model_name="agentdaystat",
            constraint=models.UniqueConstraint(
                fields=("day", "assignee", "team", "plan"), name="one_agent_day_stat"
            ),
        ),
        migrations.AddIndex(
            model_name="ticketdaystat",
            index=models.Index(fields=["team", "day"], name="day_stat_team"),
        ),
        migrations.AddIndex(
            model_name="ticketdaystat",
            index=models.Index(fields=["organisation", "day"], name="day_stat_organisation"),
        ),
        migrations.AddConstraint(
            model_name="ticketdaystat",
            constraint=models.UniqueConstraint(
                fields=("day", "plan", "priority", "team", "organisation"), name="one_day_stat_per_cell"
            ),
        ),
    ]
