from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "guichet.contracts"
    label = "contracts"
    verbose_name = "Services and subscriptions"

    def ready(self) -> None:
        # The app words its own audit actions (audit.explain); imported here, once the models are loaded.
        from guichet.audit.explain import register

        from . import activity

        register(activity.told, activity.SENTENCES)
