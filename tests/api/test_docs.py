"""The API's interactive documentation (/api/v1/docs) is served by the app: its scripts and style sheet are
our own static files, never a CDN's (the Content-Security-Policy allows only our own scripts)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_loads_every_script_and_style_sheet_from_the_app():
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources), sources
    assert [s for s in sources if not s.startswith("/static/")] == []
    assert "<script>" not in html  # no inline script: the policy would block it
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source


def test_the_api_docs_ask_no_third_party_validator():
    html = Client().get("/api/v1/docs").content.decode()
    assert '"validatorUrl": null' in html
