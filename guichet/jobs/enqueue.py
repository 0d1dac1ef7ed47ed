"""Enqueue a task as part of the current transaction's outcome."""

from __future__ import annotations

from django.db import transaction
from django_tasks_db import DatabaseBackend


def enqueue_with_commit(task, *args, **kwargs) -> None:
    """With the database backend the task row is written in the current transaction (it exists if and only
    if the change commits); with a broker the task is sent once the transaction has committed."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
