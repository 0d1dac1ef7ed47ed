"""The `guichet` command: Django's management commands with Guichet's settings (`guichet migrate`,
`guichet runserver`, `guichet worker`, `guichet serve`, `guichet load_demo`, ...)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["guichet", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
