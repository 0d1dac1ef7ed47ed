from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "guichet.jobs"
    label = "jobs"
    verbose_name = "Background work"
