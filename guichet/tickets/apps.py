from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "guichet.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        # The imports Django wants inside a function: the signal handlers and the activity log's sentences
        # need the models, loaded by now.
        from guichet.audit.explain import register

        from . import activity, signals

        signals.connect()
        register(activity.told, activity.SENTENCES)  # the app words its own audit actions
