"""API tokens: ``gt_<prefix>_<secret>``. The prefix finds the row; only a SHA-256 of the whole token is kept
(a token is 256 random bits, so a fast hash is enough: there is nothing to brute-force)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User
from .selectors import may_act

PREFIX_LEN = 8


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str = "", can_import: bool = False, can_post_alerts: bool = False
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the token text, which is never stored. Only provider
    staff's tokens may post monitoring alerts."""
    if can_post_alerts and not user.is_provider_staff:
        raise ValueError("only a member of the provider's staff may hold the monitoring permission")
    prefix = secrets.token_hex(PREFIX_LEN // 2)
    token = f"gt_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        digest=_digest(token),
        can_import=can_import,
        can_post_alerts=can_post_alerts,
    )
    return row, token


def token_authenticate(token: str) -> ApiToken | None:
    """The live token matching ``token``, or None. Constant-time comparison of the digests. The token of a
    user who may no longer act (``selectors.may_act``: inactive login, deactivated contact) is no match."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "gt" or len(parts[1]) != PREFIX_LEN:
        return None
    row = (
        ApiToken.objects.select_related("user", "user__contact__organisation")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.digest, _digest(token)) or not may_act(row.user):
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)  # at most one write a minute per token
    return row


@transaction.atomic
def token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
