"""Attachments: size and type limits checked on the content (not the name), files stored outside the
database (MEDIA_ROOT, or any Django storage)."""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.core.exceptions import ValidationError

# Leading bytes of the accepted types. Office documents are ZIP containers.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
]
_SAFE_NAME = re.compile(r"[^\w.\- ]+")


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None if it is not an accepted type. Plain text
    (UTF-8 without control characters other than whitespace) is accepted as text/plain."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sample may end inside a multi-byte character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return None
    return "text/plain"


def clean_filename(name: str) -> str:
    """A file name safe to show and to store: no path, no control or markup characters."""
    base = os.path.basename(name.replace("\\", "/")).strip() or "attachment"
    cleaned = _SAFE_NAME.sub("_", base)[:200]
    return cleaned.lstrip(".") or "attachment"


def check(upload) -> str:
    """Validate an uploaded file; returns its content type (from its content)."""
    limit = settings.GUICHET_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": f"The file is {upload.size} bytes; the limit is {limit} bytes."})
    if upload.size == 0:
        raise ValidationError({"file": "The file is empty."})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        accepted = "PDF, images (PNG, JPEG, GIF), text, ZIP or office documents"
        raise ValidationError({"file": f"This type of file is not accepted: send {accepted}."})
    return content_type
