"""The outside world's HTTP APIs (WhatsApp's Graph API, SMS gateways): one JSON POST, http(s) only."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def post_json(url: str, payload: Any, *, headers: dict[str, str] | None = None, timeout: float = 20) -> Any:
    """POST ``payload`` as JSON to ``url``; the decoded JSON answer (None for an empty one). HTTP errors
    raise (urllib.error.HTTPError), so that a task fails and can be retried."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
        body = response.read()
    return json.loads(body) if body else None
