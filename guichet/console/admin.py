from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError as FormError

from guichet.errors import ValidationError

from .models import CannedReply
from .services import PLACEHOLDERS, check_canned_body


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "body", "set_status", "set_priority", "set_team", "assign_to_me"]
        help_texts = {
            "body": "Placeholders, filled for the ticket: "
            + ", ".join("{{" + name + "}} (" + what + ")" for name, what in PLACEHOLDERS.items()),
        }

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            check_canned_body(body)
        except ValidationError as refused:
            raise FormError(refused.message_dict["body"]) from None
        return body


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    form = CannedReplyForm
    list_display = ("title", "set_status", "set_priority", "set_team", "assign_to_me")
    search_fields = ("title", "body")
