"""The static files of the installed apps, minus what we do not serve."""

from collections.abc import Iterable
from typing import Any

from django.contrib.staticfiles import finders

# django-ninja ships Redoc beside Swagger UI (/api/v1/docs uses Swagger UI only): 4 MB that collectstatic
# would hash and compress at every production start for nothing.
NOT_SERVED = ["redoc.standalone.js*"]


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    def list(self, ignore_patterns: Iterable[str] | None) -> Iterable[Any]:
        return super().list([*(ignore_patterns or []), *NOT_SERVED])
