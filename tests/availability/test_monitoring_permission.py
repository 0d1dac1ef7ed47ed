"""Alertmanager's posts open and end outages (downtime, so credits): only the monitoring system's token, one
with the monitoring permission (`guichet createtoken USERNAME --alerts`), may post them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from guichet.availability.models import Outage
from guichet.customers.models import ApiToken

from .test_availability import ALERT, frozen, line  # noqa: F401 (fixtures)


def test_no_staff_token_but_the_monitoring_ones_posts_alerts(world, line, as_user):  # noqa: F811
    for who in ("noc_agent", "supervisor", "admin", "customer"):
        refused = as_user(getattr(world, who)).post("/outages/alertmanager", ALERT)
        assert refused.status_code == 403, who
    assert as_user(world.admin, can_import=True).post("/outages/alertmanager", ALERT).status_code == 403
    assert Outage.objects.count() == 0
    monitoring = as_user(world.noc_agent, can_post_alerts=True)
    assert monitoring.post("/outages/alertmanager", ALERT).json()["opened"] == 1


def test_createtoken_grants_the_monitoring_permission_to_staff_only(world):
    out = StringIO()
    call_command("createtoken", "nora", "--alerts", stdout=out)
    assert ApiToken.objects.get(user=world.noc_agent).can_post_alerts
    with pytest.raises(CommandError):
        call_command("createtoken", "carla", "--alerts", stdout=StringIO())
    assert not ApiToken.objects.filter(user=world.customer).exists()
