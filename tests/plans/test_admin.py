"""Calendars and plans are managed in the Django admin, which refuses bad data with a clear message."""

import pytest
from django.urls import reverse

from guichet.demo import load_demo
from guichet.plans.models import Calendar, SlaPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def _calendar_form(**overrides):
    data = {
        "name": "NOC",
        "hours": "Mon-Sun 00:00-24:00",
        "time_zone": "Europe/Luxembourg",
        "country": "",
        "subdivision": "",
        "closed_dates-TOTAL_FORMS": "0",
        "closed_dates-INITIAL_FORMS": "0",
        "closed_dates-MIN_NUM_FORMS": "0",
        "closed_dates-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_valid_calendar(admin_client):
    response = admin_client.post(reverse("admin:plans_calendar_add"), _calendar_form())
    assert response.status_code == 302
    assert Calendar.objects.get(name="NOC").hours == "Mon-Sun 00:00-24:00"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", "Mon-Fri 18:00-08:00", "the end must be after the start"),
        ("hours", "Xyz 08:00-10:00", "unknown day &#x27;Xyz&#x27;"),
        ("time_zone", "Mars/Olympus", "Unknown time zone"),
        ("country", "XX", "unknown country"),
    ],
)
def test_admin_refuses_a_bad_calendar_with_a_clear_message(admin_client, field, value, message):
    response = admin_client.post(reverse("admin:plans_calendar_add"), _calendar_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Calendar.objects.filter(name="NOC").exists()


def test_admin_refuses_a_negative_target(admin_client):
    load_demo()
    plan = SlaPlan.objects.get(code="office")
    url = reverse("admin:plans_slaplan_change", args=[plan.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["channels"] = '["email", "phone", "chat"]'
    targets = list(plan.targets.all())
    data.update(
        {
            "targets-TOTAL_FORMS": str(len(targets)),
            "targets-INITIAL_FORMS": str(len(targets)),
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "1000",
        }
    )
    for i, t in enumerate(targets):
        data.update(
            {
                f"targets-{i}-id": t.pk,
                f"targets-{i}-plan": plan.pk,
                f"targets-{i}-clock": t.clock,
                f"targets-{i}-priority": t.priority,
                f"targets-{i}-amount": "-3" if i == 0 else str(t.amount),
                f"targets-{i}-unit": t.unit,
            }
        )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0.01" in response.content.decode()
    assert all(t.amount > 0 for t in plan.targets.all())


def test_admin_lists_the_demo_plans(admin_client, django_assert_max_num_queries):
    load_demo()
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:plans_slaplan_changelist"))
    body = response.content.decode()
    for name in ("Basic", "Standard", "Office", "Retail", "Enterprise", "Advanced", "SaaS support plan"):
        assert name in body


def test_admin_calendar_page_previews_the_next_open_periods(admin_client):
    load_demo()
    calendar = Calendar.objects.get(name="LU Mon-Fri 08:00-18:00")
    response = admin_client.get(reverse("admin:plans_calendar_change", args=[calendar.pk]))
    body = response.content.decode()
    assert "Next open periods" in body
    assert body.count("18:00 CE") >= 5  # CET or CEST closing times
