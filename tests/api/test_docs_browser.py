"""In a real browser (Debian's Chromium, Playwright), under the real Content-Security-Policy: the API's
documentation page renders the operations, with nothing blocked and no error in the console."""

import pytest
from playwright.sync_api import expect

from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_every_operation_with_no_console_error(world, signed_in, live_server, client):
    carla = signed_in(world.customer)
    errors: list[str] = []
    carla.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    carla.on("pageerror", lambda e: errors.append(str(e)))
    elsewhere: list[str] = []
    ours = (live_server.url, "data:")
    carla.on("request", lambda r: None if r.url.startswith(ours) else elsewhere.append(r.url))
    carla.goto("/api/v1/docs")
    expect(carla.locator(".swagger-ui .info .title")).to_contain_text("Guichet API")
    operations = client.get("/api/openapi.json").json()["paths"]
    count = sum(len(methods) for methods in operations.values())
    expect(carla.locator(".opblock")).to_have_count(count)
    expect(carla.locator(".opblock-summary-path").filter(has_text="/api/v1/tickets").first).to_be_visible()
    screenshot(carla, "api-docs")
    assert errors == []
    assert elsewhere == []  # nothing fetched from anywhere but the app
