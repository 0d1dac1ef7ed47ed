from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "guichet.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from guichet.plans.models import Calendar, ClosedDate

        def calendar_changed(sender, instance, **kwargs) -> None:
            from guichet.jobs.enqueue import enqueue_with_commit

            from .models import SlaClock
            from .tasks import recompute_calendar

            calendar_id = instance.pk if sender is Calendar else instance.calendar_id
            if SlaClock.objects.filter(calendar_id=calendar_id, stopped=False).exists():
                enqueue_with_commit(recompute_calendar, calendar_id)

        for model in (Calendar, ClosedDate):
            for signal in (post_save, post_delete):
                signal.connect(
                    calendar_changed, sender=model, dispatch_uid=f"recompute-{model.__name__}", weak=False
                )
