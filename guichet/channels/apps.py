from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "guichet.channels"
    label = "channels"
    verbose_name = "Channels (mail, WhatsApp, chat, phone, on-call)"

    def ready(self) -> None:
        from guichet.audit.explain import register

        from . import activity, oncall, whatsapp
        from .mail import outbound

        register(activity.told, activity.SENTENCES)  # the app words its own audit actions
        outbound.connect()
        whatsapp.connect()
        oncall.connect()
