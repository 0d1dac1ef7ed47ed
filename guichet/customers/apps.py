from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "guichet.customers"
    label = "customers"
    verbose_name = "Customers and staff"

    def ready(self) -> None:
        # The app words its own audit actions (audit.explain); imported here, once the models are loaded.
        from guichet.audit.explain import register

        from . import activity

        register(activity.told, activity.SENTENCES)
