"""Enqueue a task as part of the current transaction's outcome: the one door from a service to its tasks.

A task module depends on its services (a task calls them), never the reverse: a service names the task it
enqueues by its dotted path, resolved here, so no service imports a task module and no import hides a cycle
inside a function. tests/test_architecture.py checks that every path written in the package names a task.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend


@cache
def task_named(path: str) -> Task:
    task = import_string(path)
    if not isinstance(task, Task):
        raise TypeError(f"{path} is not a task")
    return task


def enqueue_with_commit(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """With the database backend the task row is written in the current transaction (it exists if and only
    if the change commits); with a broker the task is sent once the transaction has committed. ``task`` is
    the task or its dotted path (``"guichet.billing.tasks.send_invoice"``)."""
    if isinstance(task, str):
        task = task_named(task)
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
