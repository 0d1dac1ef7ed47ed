"""axe-core, the accessibility engine (the npm package, `make install-test-tools` puts it in node_modules/),
run by Playwright in Debian's Chromium on every console page and every extranet page: no serious or critical
violation of WCAG 2.1 A and AA.

axe is injected into the page by the test, so this one browser context bypasses the Content-Security-Policy
(an injected script is inline); the pages themselves are the ones users get."""

import os
from pathlib import Path

import pytest

from tests.test_accessibility import pages  # noqa: F401 - the fixture: every page, with data behind it

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
RUN = """async () => {
  const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def axe_page(chromium, live_server):
    if not AXE.exists():
        missing = f"{AXE} is missing: make install-test-tools (npm ci)"
        if os.environ.get("GUICHET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GUICHET_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    contexts = []

    def open_as(user, password="pw"):
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


def violations(page, url: str) -> list[dict]:
    page.goto(url)
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN) if v["impact"] in BLOCKING]


def test_no_console_page_has_a_serious_accessibility_violation(world, pages, axe_page):  # noqa: F811
    _customer_pages, staff_pages = pages
    page = axe_page(world.supervisor)
    found = {url: v for url in staff_pages if (v := violations(page, url))}
    assert found == {}


def test_no_extranet_page_has_a_serious_accessibility_violation(world, pages, axe_page):  # noqa: F811
    customer_pages, _staff_pages = pages
    page = axe_page(world.customer)
    found = {url: v for url in customer_pages if (v := violations(page, url))}
    assert found == {}


def test_the_check_finds_a_violation_where_there_is_one(world, axe_page):
    page = axe_page(world.supervisor)
    page.set_content('<html><head><title>x</title></head><body><main><img src="x.png"></main></body></html>')
    page.add_script_tag(path=str(AXE))
    found = {v["id"] for v in page.evaluate(RUN) if v["impact"] in BLOCKING}
    assert "image-alt" in found and "html-has-lang" in found
