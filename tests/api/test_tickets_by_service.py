"""Tickets about a subscribed service: the service's plan sets the clocks, duplicates are looked for in it."""

from guichet.plans.models import SlaPlan
from tests.contracts.factories import SubscriptionFactory

TRUNK_DOWN = {
    "subject": "SIP trunk down",
    "description": "No calls since 9:00 on the trunk",
    "category": "incident",
}


def test_a_ticket_about_a_service_runs_on_that_services_plan(world, as_user):
    premium = SubscriptionFactory(
        organisation=world.org, identifier="LU-FIB-9", plan=SlaPlan.objects.get(code="advanced")
    )
    carla = as_user(world.customer)
    general = carla.post("/tickets", TRUNK_DOWN).json()  # the organisation's plan: Office, 4 h to answer
    about = carla.post("/tickets", {**TRUNK_DOWN, "subscription_id": premium.pk}).json()
    assert general["subscription_id"] is None and about["subscription_id"] == premium.pk
    assert general["sla"]["first_response"]["target_seconds"] == 4 * 3600
    assert about["sla"]["first_response"]["target_seconds"] == 2 * 3600  # Advanced: 2 h
    assert carla.get(f"/tickets/{about['reference']}").json()["subscription_id"] == premium.pk


def test_a_ticket_cannot_name_another_organisations_service(world, as_user):
    theirs = SubscriptionFactory(organisation=world.other_org, identifier="GX-1")
    response = as_user(world.customer).post("/tickets", {**TRUNK_DOWN, "subscription_id": theirs.pk})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "subscription_id", "message": "Acme has no such subscription."}
    ]


def test_duplicates_are_offered_only_for_the_same_service(world, as_user):
    line_a = SubscriptionFactory(organisation=world.org, identifier="TRUNK-A")
    line_b = SubscriptionFactory(organisation=world.org, identifier="TRUNK-B")
    carla = as_user(world.customer)
    first = carla.post("/tickets", {**TRUNK_DOWN, "subscription_id": line_a.pk}).json()
    other_line = carla.post("/tickets", {**TRUNK_DOWN, "subscription_id": line_b.pk}).json()
    assert other_line["possible_duplicates"] == []  # the same words about another line: another problem
    same_line = carla.post("/tickets", {**TRUNK_DOWN, "subscription_id": line_a.pk}).json()
    assert [d["reference"] for d in same_line["possible_duplicates"]] == [first["reference"]]
    typing = carla.get("/tickets/similar", subject="SIP trunk down", subscription_id=line_b.pk).json()
    assert [d["reference"] for d in typing] == [other_line["reference"]]
    unsure = carla.get("/tickets/similar", subject="SIP trunk down").json()  # no service named: all of them
    assert len(unsure) == 3
