import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from guichet.customers.models import Contact, Organisation, Team, User
from guichet.customers.tokens import token_create
from guichet.plans.demo import load_plans
from guichet.plans.models import OrganisationPlan, SlaPlan

from .customers.factories import ContactFactory, OrganisationFactory, StaffFactory, TeamFactory


def pytest_configure(config):
    """GUICHET_TEST_DAYS_AHEAD=N runs the suite with this process's clock moved N days ahead (ticking).

    A test that reads the real calendar (a date written as if it were in the future) fails then: `make
    test-ahead` runs the suite two years ahead. Child processes (the worker, the production shape) and the
    browser keep the real time: the tests that start them set their own instants or none.
    """
    days = os.environ.get("GUICHET_TEST_DAYS_AHEAD")
    if days:
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=int(days)), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    customer: User
    colleague: User
    foreigner: User
    agent: User
    noc_agent: User
    billing_agent: User
    supervisor: User
    admin: User
    support: Team
    noc: Team
    billing: Team

    def use_plan(self, code: str, org: Organisation | None = None) -> SlaPlan:
        plan = SlaPlan.objects.get(code=code)
        OrganisationPlan.objects.update_or_create(organisation=org or self.org, defaults={"plan": plan})
        return plan


@pytest.fixture
def world(db) -> World:
    load_plans()
    org, other = OrganisationFactory(name="Acme"), OrganisationFactory(name="Globex")
    supervisor = StaffFactory(username="sue", kind=User.Kind.SUPERVISOR)
    agent, noc_agent, billing_agent = (
        StaffFactory(username="alice"),
        StaffFactory(username="nora"),
        StaffFactory(username="bill", kind=User.Kind.BILLING),
    )
    support = TeamFactory(name="Support", kind=Team.Kind.SUPPORT, supervisor=supervisor)
    noc = TeamFactory(name="NOC", kind=Team.Kind.NOC, supervisor=supervisor)
    billing = TeamFactory(name="Billing", kind=Team.Kind.BILLING, supervisor=supervisor)
    support.members.add(agent)
    noc.members.add(noc_agent)
    billing.members.add(billing_agent)
    w = World(
        org=org,
        other_org=other,
        customer=ContactFactory(organisation=org, user__username="carla", roles=["admin", "technical"]).user,
        colleague=ContactFactory(organisation=org, user__username="colin").user,
        foreigner=ContactFactory(organisation=other, user__username="fred").user,
        agent=agent,
        noc_agent=noc_agent,
        billing_agent=billing_agent,
        supervisor=supervisor,
        admin=StaffFactory(username="root", kind=User.Kind.ADMIN),
        support=support,
        noc=noc,
        billing=billing,
    )
    w.use_plan("office", org)
    w.use_plan("office", other)
    assert Contact.objects.count() == 3
    return w


class Api:
    """A client for /api/v1 acting with one user's bearer token."""

    def __init__(self, user, can_import=False, can_post_alerts=False):
        self.user = user
        _, self.token = token_create(user=user, can_import=can_import, can_post_alerts=can_post_alerts)
        self.client = Client()

    def _h(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, **self._h())

    def post(self, path, data=None):
        return self.client.post(f"/api/v1{path}", data or {}, content_type="application/json", **self._h())

    def patch(self, path, data):
        return self.client.patch(f"/api/v1{path}", data, content_type="application/json", **self._h())


@pytest.fixture
def as_user():
    return Api


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_fingerprints():
    """Test databases roll back, so ids come again with other rows: no per-process cache outlives a test."""
    from guichet.plans.selectors import forget_calendar_rows
    from guichet.tickets.selectors import fingerprints

    fingerprints.clear()
    forget_calendar_rows()
    yield
    fingerprints.clear()
    forget_calendar_rows()


@pytest.fixture
def chromium(monkeypatch):
    """Debian's Chromium, driven by Playwright (tests/browser.py), for one test (half a second to start)."""
    from tests import browser

    playwright, chromium = browser.launch()
    # Playwright's sync API keeps an event loop in this thread while it runs; Django would then refuse the
    # test's database calls as if they were async code. They are not: tell Django so, for this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def signed_in(chromium, live_server):
    """signed_in(user, password) -> a page of a new browser context, signed in through the login form."""
    contexts = []
    violations: list[str] = []

    def sign_in(user, password="pw"):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # What the Content-Security-Policy blocks shows in the console: a page relying on it fails the test.
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    yield sign_in
    for context in contexts:
        context.close()
    assert violations == [], "blocked by the Content-Security-Policy"
