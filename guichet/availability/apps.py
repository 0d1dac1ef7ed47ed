from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "guichet.availability"
    label = "availability"
    verbose_name = "Outages and availability"
