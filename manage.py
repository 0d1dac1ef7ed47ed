#!/usr/bin/env python
"""Django's usual entry point; `guichet` (the console script) does the same."""

from guichet.cli import main

if __name__ == "__main__":
    main()
