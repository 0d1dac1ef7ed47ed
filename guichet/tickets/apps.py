from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "guichet.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        # The one import Django wants inside a function: signal handlers need the models, loaded by now.
        from . import signals

        signals.connect()
