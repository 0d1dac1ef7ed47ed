"""The seams of docs/architecture.md that import-linter cannot see: tasks named by dotted path."""

import ast
from pathlib import Path

from django_tasks.base import Task

from guichet.jobs.enqueue import task_named

PACKAGE = Path(__file__).resolve().parent.parent / "guichet"


def enqueued_paths() -> list[tuple[str, str]]:
    """Every task a module of the package enqueues by dotted path: (module, path)."""
    return [
        (module.name, node.args[0].value)
        for module in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "enqueue_with_commit"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        )
    ]


def test_every_task_a_service_enqueues_by_name_is_a_task():
    paths = enqueued_paths()
    assert len(paths) >= 6  # the services of availability, billing, contracts, customers and tickets
    for module, path in paths:
        assert isinstance(task_named(path), Task), f"{module} enqueues {path}"
