"""The `guichet` command: Django's management commands with Guichet's settings (`guichet migrate`,
`guichet runserver`, `guichet worker`, `guichet serve`, `guichet load_demo`, ...)."""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")

    try:
        execute_from_command_line(["guichet", *(sys.argv[1:] if argv is None else argv)])
    except ImproperlyConfigured as exc:
        # A configuration to fix (a variable missing or malformed): its message names it; a traceback would
        # only hide it.
        sys.stderr.write(f"guichet: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
