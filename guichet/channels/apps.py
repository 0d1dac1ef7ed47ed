from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "guichet.channels"
    label = "channels"
    verbose_name = "Channels (mail, WhatsApp, chat, phone, on-call)"

    def ready(self) -> None:
        from . import oncall, whatsapp
        from .mail import outbound

        outbound.connect()
        whatsapp.connect()
        oncall.connect()
