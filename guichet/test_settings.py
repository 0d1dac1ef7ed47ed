"""Settings for the test suite: the normal settings with the developer's defaults and fast hashing.
DATABASE_URL still decides the database (SQLite by default, PostgreSQL in CI's second pass)."""

import os

os.environ.setdefault("DEBUG", "1")

from guichet.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
