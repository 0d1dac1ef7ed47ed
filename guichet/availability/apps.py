from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "guichet.availability"
    label = "availability"
    verbose_name = "Outages and availability"

    def ready(self) -> None:
        # The app words its own audit actions (audit.explain); imported here, once the models are loaded.
        from guichet.audit.explain import register

        from . import activity

        register(activity.told, activity.SENTENCES)
