"""Sign-in forms behind the sign-in limit (``signin``), and a person's own profile and password. (Password
reset: ``reset``.)"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import signin
from .models import Contact, User


class LimitedSignInMixin(AuthenticationForm):
    """While the sign-in limit holds, the form refuses at once, with a message saying so and for how long
    (the password is not even checked). ``refusal`` tells the view to answer 429."""

    refusal: signin.Refusal | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username is not None:
            self.refusal = signin.refusal(self.request, username)
            if self.refusal is not None:
                raise ValidationError(self.refusal.message, code="locked")
        return super().clean()


class SignInForm(LimitedSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(LimitedSignInMixin, AdminAuthenticationForm):
    pass


# The zones a person picks from: the IANA names of places ("Europe/Luxembourg") and UTC. The other names the
# database holds too (links such as "US/Eastern", rules such as "EST5EDT", "Etc/GMT+1" whose sign reads
# backwards) are left out of the list; one already stored is kept as a choice (``ProfileForm``).
_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    names = (
        name for name in zoneinfo.available_timezones() if name.split("/", 1)[0] in _AREAS and "/" in name
    )
    return ("UTC", *sorted(names))


class ProfileForm(forms.Form):
    """A person's own profile (``services.profile_update``); the phone only for a customer contact."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), help_text=_("Dates and times are shown in it."))
    phone = forms.CharField(
        label=_("Phone number the NOC may call"),
        max_length=40,
        required=False,
        help_text=_("International format: +352 621 123 456."),
    )

    def __init__(self, *args: Any, user: User, contact: Contact | None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs["initial"] = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "time_zone": user.time_zone,
            "phone": contact.phone if contact is not None else "",
        }
        super().__init__(*args, **kwargs)
        not_chosen = (
            _("Not chosen: my browser's language, else my organisation's")
            if contact is not None
            else _("Not chosen: my browser's language")
        )
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", not_chosen), *User.Language.choices]
        zones = time_zone_names()
        if user.time_zone not in zones:
            zones = (user.time_zone, *zones)
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = [(zone, zone) for zone in zones]
        if contact is None:
            del self.fields["phone"]

    def refuse(self, refusal: ValidationError) -> None:
        """Show a service's refusal on the fields it names (each message under its field's label)."""
        for field, messages in refusal.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's: the current password, then the new one twice (checked by the password validators)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
