from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "guichet.plans"
    label = "plans"
    verbose_name = "SLA plans and calendars"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from guichet.audit.explain import register

        from . import activity
        from .models import Calendar, ClosedDate
        from .selectors import forget_calendar_rows

        register(activity.told, activity.SENTENCES)  # the app words its own audit actions
        for model in (Calendar, ClosedDate):
            post_save.connect(forget_calendar_rows, sender=model, dispatch_uid=f"forget-{model.__name__}")
            post_delete.connect(
                forget_calendar_rows, sender=model, dispatch_uid=f"forget-{model.__name__}-del"
            )
