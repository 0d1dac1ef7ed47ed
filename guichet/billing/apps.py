from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "guichet.billing"
    label = "billing"
    verbose_name = "Claims, credits and invoices"

    def ready(self) -> None:
        # The app words its own audit actions (audit.explain); imported here, once the models are loaded.
        from guichet.audit.explain import register

        from . import activity

        register(activity.told, activity.SENTENCES)
