"""Contacts kept current by the organisation's admin contact; the activity log; the back office's
next-business-day target (002: "pris en compte au maximum à J+1")."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.contracts import services as contracts
from guichet.customers.models import BackOfficeRequest, Contact
from tests.contracts.factories import SubscriptionFactory
from tests.helpers import signed_in as browser

LU = ZoneInfo("Europe/Luxembourg")
FRIDAY = datetime(2026, 11, 27, 15, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def test_the_admin_contact_adds_and_changes_contacts_and_the_back_office_is_due_next_business_day(world):
    carla = browser(world.customer)  # admin and technical contact
    added = carla.post(
        "/extranet/contacts/",
        {
            "email": "Nina@Acme.example",
            "first_name": "Nina",
            "roles": ["technical"],
            "phone": "+352 621 000 111",
        },
    )
    assert added.status_code == 302
    nina = Contact.objects.get(user__email="nina@acme.example")
    assert nina.organisation == world.org and nina.roles == ["technical"]
    request = BackOfficeRequest.objects.get()
    # Friday 15:00: due the next business day at the same time, Monday 15:00
    assert request.due_at == datetime(2026, 11, 30, 15, tzinfo=LU)
    assert "nina@acme.example" in request.summary

    changed = carla.post(
        f"/extranet/contacts/{nina.pk}/", {"roles": ["technical", "billing"], "phone": "", "is_active": "1"}
    )
    assert changed.status_code == 302
    nina.refresh_from_db()
    assert nina.roles == ["technical", "billing"] and nina.phone == ""
    assert BackOfficeRequest.objects.count() == 2
    carla.post(
        f"/extranet/contacts/{nina.pk}/", {"roles": ["technical", "billing"], "phone": ""}
    )  # deactivate
    nina.refresh_from_db()
    assert not nina.is_active


def test_only_the_admin_contact_manages_contacts_and_only_their_own(world):
    colin = browser(world.colleague)  # a technical contact
    assert "admin contact manages the contacts." in colin.get("/extranet/contacts/").text
    assert colin.post("/extranet/contacts/", {"email": "x@acme.example"}).status_code == 403
    carla = browser(world.customer)
    foreign = world.foreigner.contact
    assert carla.post(f"/extranet/contacts/{foreign.pk}/", {"roles": ["admin"]}).status_code == 404
    own = world.customer.contact
    carla.post(f"/extranet/contacts/{own.pk}/", {"roles": ["admin"]}, follow=True)
    own.refresh_from_db()
    assert own.is_active  # one cannot deactivate oneself
    bad = carla.post("/extranet/contacts/", {"email": "not-an-address"})
    assert bad.status_code == 400 and "Email: " in bad.text and "email:" not in bad.text


def test_the_activity_log_lists_every_act_and_the_back_offices_targets(world, frozen):
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    line = SubscriptionFactory(organisation=world.org, identifier="LU-1")
    contracts.termination_request(actor=world.customer, door="web", subscription=line)
    page = browser(world.customer).get("/extranet/activity/").text
    assert "Termination request: Terminate SIP trunk LU-1" in page
    assert 'datetime="2026-11-30T15:00:00+01:00"' in page  # due Monday 15:00
    assert "carla asked to end SIP trunk LU-1: its last day is 14 January 2027" in page
    assert "subscription.termination_requested" not in page  # a sentence, not the event's code
    frozen.shift(timedelta(days=4))
    assert 'class="overdue"' in browser(world.customer).get("/extranet/activity/").text

    sue = browser(world.supervisor)
    assert "Terminate SIP trunk LU-1" in sue.get("/console/backoffice/").text
    request = BackOfficeRequest.objects.get()
    assert sue.post(f"/console/backoffice/{request.pk}/done").status_code == 302
    request.refresh_from_db()
    assert request.done_by == world.supervisor
    assert "(late)" in browser(world.customer).get("/extranet/activity/").text
    assert browser(world.customer).get("/console/backoffice/").status_code == 403


def test_a_foreign_organisations_activity_is_not_shown(world):
    SubscriptionFactory(organisation=world.other_org, identifier="GX-1")
    theirs = world.other_org.subscriptions.get()
    contracts.termination_request(actor=world.supervisor, door="web", subscription=theirs)
    assert "GX-1" not in browser(world.customer).get("/extranet/activity/").text


def test_an_outage_is_in_the_activity_log_of_each_organisation_it_concerns_with_its_own_lines_only(world):
    from guichet.audit.models import AuditEvent
    from guichet.availability import services as availability
    from tests.helpers import open_incident

    ours = SubscriptionFactory(organisation=world.org, identifier="LU-1")
    theirs = SubscriptionFactory(organisation=world.other_org, identifier="LU-2")
    ticket = open_incident(world)
    outage = availability.outage_declare(
        actor=world.noc_agent,
        door="api",
        subscriptions=[ours, theirs],
        started_at=FRIDAY - timedelta(hours=2),
        title="Backbone cut",
        ticket=ticket,
    )
    availability.outage_end(actor=world.noc_agent, door="api", outage=outage, ended_at=FRIDAY)
    events = AuditEvent.objects.filter(target_id=outage.pk, target_type="availability.outage")
    seen = {(e.organisation_id, e.action): e.changes for e in events}
    actions = ("outage.declared", "outage.ended")
    assert set(seen) == {(org.pk, action) for org in (world.org, world.other_org) for action in actions}
    assert seen[(world.org.pk, "outage.declared")]["subscriptions"] == [ours.pk]
    assert seen[(world.other_org.pk, "outage.declared")]["subscriptions"] == [theirs.pk]
    assert seen[(world.org.pk, "outage.declared")]["ticket"] == ticket.reference
    assert "ticket" not in seen[(world.other_org.pk, "outage.declared")]  # another customer's ticket
    page = browser(world.customer).get("/extranet/activity/").text
    assert "nora declared an outage of SIP trunk LU-1, “Backbone cut”, since 27 November 2026 12:00" in page
    assert "nora ended the outage “Backbone cut” at 27 November 2026 14:00, after 2 h" in page
    assert "LU-2" not in page and "outage.declared" not in page
    theirs = browser(world.foreigner).get("/extranet/activity/").text
    assert "nora declared an outage of SIP trunk LU-2, “Backbone cut”" in theirs and "LU-1" not in theirs
