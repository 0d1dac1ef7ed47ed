"""The clocks in the API: typed in the OpenAPI schema, and what happened to them (met when, merged)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client

LU = ZoneInfo("Europe/Luxembourg")


def lu(*args):
    return datetime(*args, tzinfo=LU).isoformat()


def test_the_openapi_schema_names_the_three_clocks_of_sla_with_their_typed_fields(db):
    schema = Client().get("/api/openapi.json").json()
    components = schema["components"]["schemas"]

    def resolve(node):
        return components[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    sla = resolve(components["TicketOut"]["properties"]["sla"])
    assert set(sla["properties"]) == {"first_response", "intervention", "resolution"}
    assert set(sla["required"]) == {"first_response", "intervention", "resolution"}
    for clock in sla["properties"].values():
        fields = resolve(clock)
        assert {"due", "state", "used_seconds"} <= set(fields["required"])
        assert fields["properties"]["used_seconds"]["type"] == "integer"
        assert set(fields["properties"]["state"]["enum"]) == {
            *("running", "paused", "met", "breached", "merged", "not_applicable"),
        }


@time_machine.travel(datetime(2026, 12, 1, 12, 30, tzinfo=LU), tick=False)
def test_the_api_says_when_a_clock_was_met_and_that_a_merge_ended_the_others(world, as_user):
    admin = as_user(world.admin, can_import=True)

    def create(subject, opened_at):
        body = {
            "subject": subject,
            "description": "No calls",
            "category": "incident",
            "priority": "high",
            "organisation_id": world.org.pk,
            "requester_id": world.customer.pk,
            "opened_at": opened_at,
        }
        response = admin.post("/tickets", body)
        assert response.status_code == 201, response.content
        return response.json()["reference"]

    keep, dup = create("Trunk down", lu(2026, 12, 1, 9)), create("Trunk down too", lu(2026, 12, 1, 10))
    reply = admin.post(f"/tickets/{dup}/replies", {"body": "On it", "at": lu(2026, 12, 1, 11)})
    assert reply.status_code == 201
    assert admin.post(f"/tickets/{dup}/merge", {"into": keep}).status_code == 200
    sla = admin.get(f"/tickets/{dup}").json()["sla"]
    assert sla["first_response"]["state"] == "met"
    assert sla["first_response"]["ended_at"] == "2026-12-01T11:00:00+01:00"
    assert sla["first_response"]["due"] == "2026-12-01T14:00:00+01:00"  # the deadline it beat
    assert sla["resolution"] == {
        "due": None,
        "state": "merged",
        "used_seconds": int(2.5 * 3600),
        "target_seconds": 10 * 3600,
        "ended_at": "2026-12-01T12:30:00+01:00",
    }
    explained = {c["clock"]: c for c in admin.get(f"/tickets/{dup}/sla").json()}
    assert explained["resolution"]["state"] == "merged"
    assert explained["first_response"]["ended_at"].startswith("2026-12-01T10:00:00")  # UTC: 11:00 LU
