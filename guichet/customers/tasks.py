"""Background work of customers: the password reset mail (``customers.reset``)."""

from __future__ import annotations

from django_tasks import task

from . import reset


@task()
def send_password_reset(request_id: int, domain: str, use_https: bool) -> int:
    """Mail the reset link of a recorded request to the accounts with its address (none: nothing sent)."""
    return reset.mail_links(request_id, domain, use_https)
