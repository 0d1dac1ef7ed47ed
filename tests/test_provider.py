"""The provider's calendar (guichet/provider.py): the claim window is one rule, read in the provider's
zone, so the extranet's form and the claim service agree to the minute, also where the provider's day and
UTC's differ (the window closes at midnight in Luxembourg, 23:00 UTC in winter)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet import provider

LU = ZoneInfo("Europe/Luxembourg")
LAST_MINUTE = datetime(2026, 12, 7, 23, 59, tzinfo=LU)
CLOSED = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # already 8 December 00:00 in Luxembourg


def test_the_window_is_the_first_seven_days_of_the_providers_month():
    assert provider.claimable_month(LAST_MINUTE) == (2026, 11)
    assert provider.claimable_month(CLOSED) is None
    assert provider.claimable_month(datetime(2026, 12, 1, 0, 0, tzinfo=LU)) == (2026, 11)
    assert provider.claimable_month(datetime(2026, 11, 30, 22, 59, tzinfo=UTC)) is None  # 23:59 in LU


@pytest.mark.parametrize(
    ("now", "says"), [(LAST_MINUTE, "Today you can claim for 2026-11."), (CLOSED, "closed")]
)
def test_the_extranet_says_what_the_claim_service_decides(world, now, says):
    carla = Client()
    carla.force_login(world.customer)
    with time_machine.travel(now, tick=False):
        page = carla.get("/extranet/claims/new").text
    assert says in page
