import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
application = get_wsgi_application()

from guichet.ops.checks import require_secret_key  # noqa: E402 - the settings are loaded now

require_secret_key()  # gunicorn and any WSGI server run no system check: refuse to start without a key
