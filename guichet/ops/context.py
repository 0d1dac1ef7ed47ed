"""What a log line belongs to: the request (its id) or the task being run, kept in context variables so that
every logger's records carry it without being passed around."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.db import InterfaceError, OperationalError

from .errors import first_line

request_id: ContextVar[str | None] = ContextVar("guichet_request_id", default=None)
task_id: ContextVar[str | None] = ContextVar("guichet_task_id", default=None)

# A request id from the proxy in front (X-Request-ID) is kept when it looks like one; anything else (too long,
# odd characters that could forge log lines) is replaced by a fresh one.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def incoming_request_id(header: str | None) -> str:
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds request_id and task_id to every record (None outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:  # a value given in ``extra`` wins
            record.request_id = request_id.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = task_id.get()
        return True


class DatabaseOutageFilter(logging.Filter):
    """On django.request: a request that met a lost database (answered 503) is logged as one warning line,
    not an error with the same traceback for every request of the outage; other errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, OperationalError | InterfaceError):
            record.msg = f"{record.getMessage()} (database unavailable: {first_line(exc)})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
