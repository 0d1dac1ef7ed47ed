"""Password reset that also serves a first password: contacts added by their admin contact (or by staff)
have no usable password until they follow the link Django's reset mails them."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm

from .models import User


class FirstPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        # Django's form skips users without a usable password; those are exactly the new contacts.
        return (u for u in User.objects.filter(email__iexact=email, is_active=True) if u.email)
