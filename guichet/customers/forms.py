"""Sign-in forms behind the sign-in limit (``signin``). (Password reset: ``reset``.)"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from . import signin


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
