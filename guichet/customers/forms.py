"""Password reset that also serves a first password: contacts added by their admin contact (or by staff)
have no usable password until they follow the link Django's reset mails them. Sign-in forms behind the
sign-in limit (``signin``)."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError

from . import signin
from .models import User


class FirstPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        # Django's form skips users without a usable password; those are exactly the new contacts.
        return (u for u in User.objects.filter(email__iexact=email, is_active=True) if u.email)


class LimitedSignInMixin:
    """While the sign-in limit holds, the form refuses at once, with a message saying so and for how long
    (the password is not even checked). ``refusal`` tells the view to answer 429."""

    refusal: signin.Refusal | None = None

    def clean(self):
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
