"""Outages in (NOC, monitoring), availability out: per subscription, per calendar month, against its plan."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from guichet.availability import services
from guichet.availability.models import Outage
from guichet.availability.tasks import send_maintenance_notice
from tests.contracts.factories import SubscriptionFactory

LU = ZoneInfo("Europe/Luxembourg")
NOW = datetime(2026, 12, 10, 12, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def line(world):
    return SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")  # Office: 99.80 %


@pytest.fixture
def other_line(world):
    return SubscriptionFactory(organisation=world.other_org, identifier="+352 20 00 0002")


def at(day, hour, minute=0, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=LU)


def declare(world, subscriptions, start, end, cause="incident", **kw):
    return services.outage_declare(
        actor=world.noc_agent,
        door="api",
        subscriptions=subscriptions,
        started_at=start,
        ended_at=end,
        cause=cause,
        title=kw.pop("title", "Trunk down"),
        **kw,
    )


def test_a_month_with_overlapping_outages_counts_each_minute_once(world, line):
    declare(world, [line], at(3, 10), at(3, 11))
    declare(world, [line], at(3, 10, 30), at(3, 11, 30))  # overlaps the first by 30 minutes
    result = services.monthly(line, 2026, 11)
    assert result.period_seconds == 30 * 24 * 3600 and result.down_seconds == 90 * 60
    # 1 - 90 / 43,200 minutes = 99.7916... %: under the Office plan's 99.80 %
    assert str(result.percent) == "99.791" and result.met is False
    assert "not met" in result.explain()


def test_announced_maintenance_and_force_majeure_are_not_downtime(world, line):
    window = declare(world, [line], at(20, 2), at(20, 4), cause="maintenance", title="Core upgrade")
    window.announced_at = at(17, 9)  # three days ahead
    window.save()
    late = declare(world, [line], at(22, 2), at(22, 3), cause="maintenance", title="Rushed change")
    late.announced_at = at(21, 20)  # six hours ahead: too late to be excluded
    late.save()
    declare(world, [line], at(25, 8), at(25, 20), cause="force_majeure", title="Flood")
    declare(world, [line], at(26, 9), at(26, 9, 30))
    result = services.monthly(line, 2026, 11)
    assert result.down_seconds == 90 * 60  # the late maintenance and the incident
    assert [services.excluded(o) for o in Outage.objects.order_by("started_at")] == [True, False, True, False]


def test_an_outage_across_a_month_boundary_counts_in_each_month(world, line):
    declare(world, [line], datetime(2026, 10, 31, 23, tzinfo=LU), at(1, 1))
    assert services.monthly(line, 2026, 10).down_seconds == 3600
    assert services.monthly(line, 2026, 11).down_seconds == 3600


def test_a_subscription_is_measured_only_on_its_days(world, line):
    line.start_date = date(2026, 11, 16)
    line.save()
    declare(world, [line], at(10, 9), at(10, 12))  # before it started: not its downtime
    result = services.monthly(line, 2026, 11)
    assert result.period_seconds == 15 * 24 * 3600 and result.down_seconds == 0 and result.met is True


def test_an_outage_still_going_counts_until_now(world, line):
    declare(world, [line], NOW - timedelta(hours=2), None)
    result = services.monthly(line, 2026, 12)
    assert result.down_seconds == 2 * 3600
    assert result.period_seconds == 9 * 24 * 3600 + 12 * 3600  # December so far


def test_the_noc_declares_and_customers_read_their_outages_and_availability(world, line, other_line, as_user):
    nora = as_user(world.noc_agent)
    response = nora.post(
        "/outages",
        {
            "subscription_ids": [line.pk, other_line.pk],
            "started_at": "2026-11-03T10:00:00+01:00",
            "ended_at": "2026-11-03T11:30:00+01:00",
            "title": "Core router failure",
        },
    )
    assert response.status_code == 201 and response.json()["subscription_ids"] == [line.pk, other_line.pk]
    mine = as_user(world.customer).get("/outages").json()
    assert [o["title"] for o in mine] == ["Core router failure"]
    assert mine[0]["subscription_ids"] == [line.pk]  # not the other organisation's line
    body = as_user(world.customer).get(f"/subscriptions/{line.pk}/availability", year=2026, month=11).json()
    assert (body["percent"], body["guarantee"], body["met"], body["down_seconds"]) == (
        "99.791",
        "99.800",
        False,
        5400,
    )
    assert as_user(world.foreigner).get(f"/subscriptions/{line.pk}/availability").status_code == 404
    assert as_user(world.customer).post("/outages", {"subscription_ids": [line.pk]}).status_code in (403, 422)


def test_bad_outages_are_refused_naming_the_field(world, line, as_user):
    nora = as_user(world.noc_agent)
    base = {"subscription_ids": [line.pk], "started_at": "2026-11-03T10:00:00+01:00", "title": "Down"}
    cases = [
        ({"ended_at": "2026-11-03T09:00:00+01:00"}, "ended_at", "An outage ends after it starts."),
        ({"started_at": "2026-12-11T10:00:00+01:00"}, "started_at", "Only maintenance can be declared"),
        ({"cause": "maintenance"}, "ended_at", "A maintenance window has a planned end."),
        ({"cause": "aliens"}, "cause", "Unknown cause 'aliens'"),
        ({"subscription_ids": [999999]}, "subscription_ids", "No such subscriptions: [999999]."),
    ]
    for change, field, message in cases:
        response = nora.post("/outages", {**base, **change})
        assert response.status_code == 422, change
        [error] = response.json()["detail"]
        assert error["field"] == field and message in error["message"]
    assert as_user(world.customer).post("/outages", base).status_code == 403
    assert Outage.objects.count() == 0


def test_a_planned_maintenance_is_announced_to_the_contacts(world, line, as_user, settings):
    nora = as_user(world.noc_agent)
    planned = nora.post(
        "/outages",
        {
            "subscription_ids": [line.pk],
            "started_at": "2026-12-20T02:00:00+01:00",
            "ended_at": "2026-12-20T04:00:00+01:00",
            "cause": "maintenance",
            "title": "Core upgrade",
        },
    ).json()
    assert planned["excluded"] is False  # not announced yet
    announced = nora.post(f"/outages/{planned['id']}/announce").json()
    assert announced["excluded"] is True and announced["announced_at"] is not None
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    assert send_maintenance_notice.call(planned["id"]) == 2  # Carla (admin, technical) and Colin (technical)
    carla = next(m for m in mail.outbox if m.to == [world.customer.email])
    assert carla.subject == "Planned maintenance: Core upgrade"
    assert "from 2026-12-20 02:00 to 2026-12-20 04:00 (Europe/Luxembourg)" in carla.body


ALERT = {
    "version": "4",
    "status": "firing",
    "receiver": "guichet",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "SipTrunkDown", "guichet_subscription": "+352 20 00 0001"},
            "annotations": {"summary": "SIP trunk unreachable"},
            "startsAt": "2026-12-10T09:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "a1b2c3",
        }
    ],
}


def test_alertmanager_opens_and_ends_outages_once(world, line, as_user):
    monitoring = as_user(world.noc_agent, can_post_alerts=True)
    assert monitoring.post("/outages/alertmanager", ALERT).json() == {"opened": 1, "ended": 0, "ignored": 0}
    assert monitoring.post("/outages/alertmanager", ALERT).json() == {"opened": 0, "ended": 0, "ignored": 0}
    resolved = {
        **ALERT,
        "status": "resolved",
        "alerts": [{**ALERT["alerts"][0], "status": "resolved", "endsAt": "2026-12-10T09:20:00Z"}],
    }
    ended = monitoring.post("/outages/alertmanager", resolved).json()
    assert ended == {"opened": 0, "ended": 1, "ignored": 0}
    again = monitoring.post("/outages/alertmanager", resolved).json()
    assert again == {"opened": 0, "ended": 0, "ignored": 0}
    outage = Outage.objects.get()
    assert (outage.source, outage.title, outage.ended_at - outage.started_at) == (
        "monitoring",
        "SIP trunk unreachable",
        timedelta(minutes=20),
    )
    assert list(outage.subscriptions.all()) == [line]
    stranger = {**ALERT, "alerts": [{**ALERT["alerts"][0], "labels": {"guichet_subscription": "nope"}}]}
    assert monitoring.post("/outages/alertmanager", stranger).json()["ignored"] == 1
    assert as_user(world.customer).post("/outages/alertmanager", ALERT).status_code == 403
    assert monitoring.post("/outages/alertmanager", {"status": "firing"}).status_code == 422
