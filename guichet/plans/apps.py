from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "guichet.plans"
    label = "plans"
    verbose_name = "SLA plans and calendars"
