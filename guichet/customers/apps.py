from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "guichet.customers"
    label = "customers"
    verbose_name = "Customers and staff"
