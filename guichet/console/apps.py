from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "guichet.console"
    label = "console"
    verbose_name = "Agent console"
