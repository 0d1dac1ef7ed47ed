"""Password reset by mail, limited and mailed in the background.

Django's reset view mails the link while the request waits, and only when an account has the address typed:
how long the page takes tells whether an address has an account, a failing mail server makes the page fail,
and nothing stops anyone from sending a thousand links to one mailbox. Here the page only records the request
(``PasswordResetRequest``) and queues ``send_password_reset``, the same work whatever the address; the task
looks the accounts up and mails each its link, in its own language, once (``jobs.mail.send_once``).

Limits, counted in the database so that every process sees the same ones: at most
GUICHET_PASSWORD_RESET_MAX_PER_EMAIL links for one address typed and GUICHET_PASSWORD_RESET_MAX_PER_IP
requests from one client address within GUICHET_PASSWORD_RESET_WINDOW_MINUTES. Over the first, the page
answers as usual and nothing is mailed (the answer must not differ from an unknown address's); over the
second, the page answers 429 with Retry-After.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import loader
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from guichet.formats import reader_language
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.jobs.mail import send_once

from .models import PasswordResetRequest, User
from .selectors import may_act
from .signin import Refusal, client_ip, retry_after

SUBJECT = "registration/password_reset_subject.txt"
BODY = "registration/password_reset_email.html"


RESET_REFUSED = gettext_noop("Too many password reset requests from this address.")


def normalise(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _window() -> timedelta:
    return timedelta(minutes=settings.GUICHET_PASSWORD_RESET_WINDOW_MINUTES)


def refusal(request, now: datetime | None = None) -> Refusal | None:
    """Why a reset request from this client address is refused now (too many within the window), or None."""
    ip = client_ip(request)
    if ip is None:
        return None
    now = now or timezone.now()
    limit = settings.GUICHET_PASSWORD_RESET_MAX_PER_IP
    recent = PasswordResetRequest.objects.filter(ip_address=ip, at__gt=now - _window()).order_by("-at")
    wait = retry_after(list(recent.values_list("at", flat=True)[:limit]), limit, now, _window())
    return Refusal(retry_after=wait, reason=RESET_REFUSED) if wait is not None else None


def request_reset(request, email: str, *, domain: str, use_https: bool) -> PasswordResetRequest:
    """Record a reset request for ``email`` and, under the per-address limit, queue the mail of its link to
    the accounts with that address (if any: the caller cannot tell). Requests older than a day are forgotten
    as new ones come (the limits look at the last window only)."""
    now = timezone.now()
    address = normalise(email)
    limit = settings.GUICHET_PASSWORD_RESET_MAX_PER_EMAIL
    with transaction.atomic():
        recent = PasswordResetRequest.objects.filter(email=address, mailed=True, at__gt=now - _window())
        mailed = limit > 0 and recent.count() < limit
        row = PasswordResetRequest.objects.create(
            email=address, ip_address=client_ip(request), at=now, mailed=mailed
        )
        PasswordResetRequest.objects.filter(at__lt=now - max(_window(), timedelta(days=1))).delete()
        if mailed:
            enqueue_with_commit("guichet.customers.tasks.send_password_reset", row.pk, domain, use_https)
    return row


class _LinkMail(PasswordResetForm):
    """Django's reset form, used by the task only: its accounts include those without a password yet (the new
    contacts Django's form skips), and each link goes in the account's language, once per request."""

    def __init__(self, row: PasswordResetRequest) -> None:
        super().__init__({"email": row.email})
        self.row, self.sent = row, 0

    def get_users(self, email):
        # Only who may act (``selectors.may_act``): a deactivated contact gets no link, as it may not sign in.
        users = User.objects.filter(email__iexact=email, is_active=True).select_related(
            "contact__organisation"
        )
        return [u for u in users if u.email and may_act(u)]

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        with translation.override(reader_language(user)):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        self.sent += send_once(message, "password-reset", self.row.pk, user.pk)  # raises if SMTP fails


def mail_links(request_id: int, domain: str, use_https: bool) -> int:
    """Mail each account with the request's address its reset link; returns how many were sent now (0 for an
    address no account has, or a request already mailed)."""
    row = PasswordResetRequest.objects.filter(pk=request_id).first()
    if row is None:
        return 0
    form = _LinkMail(row)
    if not form.is_valid():  # an address the page accepted: only if the field's rules changed since
        return 0
    form.save(
        domain_override=domain,
        use_https=use_https,
        from_email=settings.DEFAULT_FROM_EMAIL,
        subject_template_name=SUBJECT,
        email_template_name=BODY,
    )
    return form.sent
