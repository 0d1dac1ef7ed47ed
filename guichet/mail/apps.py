from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "guichet.mail"
    label = "mail"
    verbose_name = "Mail"
