"""The sign-in limit: after GUICHET_LOGIN_MAX_FAILURES failed sign-ins for one username, or
GUICHET_LOGIN_MAX_FAILURES_PER_IP from one address, within GUICHET_LOGIN_WINDOW_MINUTES, further sign-ins are
refused — even with the right password — until enough of those failures are older than the window. A success
forgets the failures it could have been refused for. Failures are rows (``SignInFailure``), so every gunicorn
process on every machine counts the same ones; refused attempts are not counted (the lock lifts on time,
whatever an attacker keeps sending).

Device cookies (OWASP's answer to lockout as a denial of service): a browser that has signed in as a user gets
a signed cookie naming that user (GUICHET_LOGIN_DEVICE_COOKIE, kept GUICHET_LOGIN_DEVICE_DAYS). Its own
failures count against that cookie only, with the same per-username limit, and neither the username's lock
(built by clients without the cookie: an attacker guessing) nor the address's applies to it. So whoever
guesses a contact's password locks out the guessers, not the contact at their usual desk.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext, gettext_noop, ngettext

from .models import SignInFailure, User
from .selectors import may_act

SIGN_IN_REFUSED = gettext_noop("Too many failed sign-ins for this account or from this address.")


@dataclass(frozen=True)
class Refusal:
    """A limit that holds: why (``reason``, translated when shown) and for how many more seconds."""

    retry_after: int  # seconds
    reason: str = SIGN_IN_REFUSED

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        wait = ngettext("Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes)
        return f"{gettext(self.reason)} {wait % {'minutes': minutes}}"


def normalise(username: str) -> str:
    return (username or "").strip().lower()[:150]


def client_ip(request) -> str | None:
    """The address the request came from: REMOTE_ADDR, or behind GUICHET_TRUSTED_PROXIES reverse proxies
    the address the outermost of them saw (the one it appended to X-Forwarded-For). Entries a client wrote
    itself, farther left, are never believed."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR")
    proxies = settings.GUICHET_TRUSTED_PROXIES
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if proxies > 0 and forwarded:
        address = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


def _window() -> timedelta:
    return timedelta(minutes=settings.GUICHET_LOGIN_WINDOW_MINUTES)


def retry_after(
    times: list[datetime], limit: int, now: datetime, window: timedelta | None = None
) -> int | None:
    """Seconds until fewer than ``limit`` of ``times`` (newest first) are within ``window`` (the sign-in
    window by default), None if already."""
    if limit <= 0 or len(times) < limit:
        return None
    return max(1, math.ceil((times[limit - 1] + (window or _window()) - now).total_seconds()))


DEVICE_SALT = "guichet.customers.signin.device"


def device(request, username: str) -> str | None:
    """The id of the device cookie this request carries for ``username``, if it carries a valid one."""
    value = getattr(request, "COOKIES", {}).get(settings.GUICHET_LOGIN_DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(
            value, salt=DEVICE_SALT, max_age=timedelta(days=settings.GUICHET_LOGIN_DEVICE_DAYS)
        )
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("u") != normalise(username)
        or not isinstance(data.get("d"), str)
    ):
        return None
    return data["d"]


def set_device_cookie(response, username: str) -> None:
    """Give the browser that has just signed in as ``username`` a new device cookie for it."""
    value = signing.dumps({"u": normalise(username), "d": get_random_string(24)}, salt=DEVICE_SALT)
    response.set_cookie(
        settings.GUICHET_LOGIN_DEVICE_COOKIE,
        value,
        max_age=settings.GUICHET_LOGIN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def answer(request, response, form):
    """How a sign-in page answers, the site's or the admin's: 429 with Retry-After while the limit refuses the
    form, and a device cookie for the browser that has just signed in."""
    refused = getattr(form, "refusal", None)
    if refused is not None:
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after)
    elif request.method == "POST" and response.status_code == 302 and request.user.is_authenticated:
        set_device_cookie(response, request.POST.get("username", ""))
    return response


def refusal(request, username: str, now: datetime | None = None) -> Refusal | None:
    """Why a sign-in as ``username`` from this request is refused now, or None."""
    now = now or timezone.now()
    recent = SignInFailure.objects.filter(at__gt=now - _window()).order_by("-at").values_list("at", flat=True)
    limit = settings.GUICHET_LOGIN_MAX_FAILURES
    known = device(request, username)
    if known is not None:  # this browser signed in as this user before: only its own failures count
        wait = retry_after(list(recent.filter(device=known)[:limit]), limit, now)
        return Refusal(retry_after=wait) if wait is not None else None
    found = [retry_after(list(recent.filter(username=normalise(username), device="")[:limit]), limit, now)]
    ip = client_ip(request)
    if ip is not None:
        limit = settings.GUICHET_LOGIN_MAX_FAILURES_PER_IP
        found.append(retry_after(list(recent.filter(ip_address=ip, device="")[:limit]), limit, now))
    waits = [w for w in found if w is not None]
    return Refusal(retry_after=max(waits)) if waits else None


def record_failure(request, username: str) -> None:
    """Count a failure, and forget those older than GUICHET_LOGIN_FAILURE_RETENTION_DAYS (kept that long for
    the admin's list): the table holds no more than that period's failures, with no job to run."""
    now = timezone.now()
    SignInFailure.objects.create(
        username=normalise(username),
        ip_address=client_ip(request),
        at=now,
        device=device(request, username) or "",
    )
    prune(now - timedelta(days=settings.GUICHET_LOGIN_FAILURE_RETENTION_DAYS))


def record_success(request, username: str) -> None:
    """Forget the failures this sign-in could have been refused for: its device's, or (without a device
    cookie) those of the username from clients without one."""
    SignInFailure.objects.filter(
        username=normalise(username), device=device(request, username) or ""
    ).delete()


def prune(before: datetime) -> int:
    deleted, _ = SignInFailure.objects.filter(at__lt=before).delete()
    return deleted


class LimitedModelBackend(ModelBackend):
    """Django's password check behind the limit, for every door that signs in with a password (the sign-in
    page, the admin's, ``Client.login`` in tests): a refused attempt fails whatever the password.

    It also says who a session belongs to (``get_user``, on every request): only a user who may act now
    (``selectors.may_act``), so deactivating a contact ends its open sessions at their next request, and it
    cannot sign in again (counted as a failure, like a wrong password: nothing tells the account exists)."""

    def user_can_authenticate(self, user) -> bool:
        return may_act(user)

    def get_user(self, user_id):
        user = User._default_manager.select_related("contact__organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        if refusal(request, username) is not None:
            raise PermissionDenied("Too many failed sign-ins.")  # authenticate() then tries no other backend
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            record_success(request, username)
        return user
