from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "guichet.billing"
    label = "billing"
    verbose_name = "Claims, credits and invoices"
