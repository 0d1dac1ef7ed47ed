"""Pages in the signed-in user's language and time zone; no NUL characters in what pages read.

The language: the one the person chose (their profile), else the one their browser asks for (the language
switcher's cookie, else Accept-Language), else their organisation's, else the site's default
(``guichet.formats.reader_language``, the one rule mail and PDFs follow too, without a browser). Anonymous
pages are Django's LocaleMiddleware's: the switcher's cookie, else Accept-Language, else the default."""

from __future__ import annotations

import zoneinfo

from django.http import HttpResponseBadRequest
from django.utils import timezone, translation

from guichet.formats import reader_language
from guichet.i18n import browser_language


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        # override, not activate: the language goes back to what it was once the answer is made, so a
        # thread that serves (or a test that makes) the next request does not keep this reader's.
        with translation.override(reader_language(user, browser=browser_language(request))):
            request.LANGUAGE_CODE = translation.get_language()
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()


class RefuseNulMiddleware:
    """A NUL character in a query string or a form is refused (400) before any page reads it: PostgreSQL
    cannot store one (a 500), and no text typed by a person holds one. Django's forms refuse them already;
    the pages that read request.POST directly are covered here. The API answers 422 naming the field
    (guichet.api.main), so it is left to it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and (_has_nul(request.GET) or _has_nul(request.POST)):
            return HttpResponseBadRequest("Null characters are not allowed.", content_type="text/plain")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())
