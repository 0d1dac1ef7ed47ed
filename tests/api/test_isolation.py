"""Per-organisation isolation, for every endpoint of the API: the routes are read from the OpenAPI
description, so a new endpoint is covered (or this test fails) without anyone remembering to add it. A
foreign object is a 404 whatever the operation, even one the caller could never perform (a customer's
internal note): the answer must say nothing about the object."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

# The plan catalogue belongs to no organisation: every contact may read it.
PUBLIC = {("get", "/api/v1/plans/{code}")}
BODIES = {
    "/api/v1/tickets/{ref}/replies": {"body": "hello"},
    "/api/v1/tickets/{ref}/notes": {"body": "hello"},
    "/api/v1/tickets/{ref}": {"version": 1, "priority": "urgent"},
    "/api/v1/tickets/{ref}/merge": {"into": "GT-2026-000001"},
    "/api/v1/tickets/{ref}/intervention": {},
    "/api/v1/tickets/{ref}/quotes": {"amount": "10.00"},
    "/api/v1/organisations/{org_id}/contacts": {"email": "spy@example.com"},
    "/api/v1/tickets/{ref}/watchers": {"user_id": 1},
    "/api/v1/tickets/{ref}/watchers/remove": {"user_id": 1},
    "/api/v1/subscriptions/{subscription_id}/milestones": {"kind": "survey"},
    "/api/v1/claims/{claim_id}/decision": {"decision": "approve"},
    "/api/v1/subscriptions/{subscription_id}/measurements": {
        "metric": "latency",
        "year": 2026,
        "month": 10,
        "value": 1,
    },
    "/api/v1/outages/{outage_id}/end": {"ended_at": "2026-11-01T10:00:00+01:00"},
    "/api/v1/subscriptions/{subscription_id}/suspend": {"reason": "loss"},
    "/api/v1/subscriptions/{subscription_id}/fees": {"monthly_fee": "1.00", "effective_on": "2026-01-01"},
}


def _operations(client):
    schema = client.get("/api/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method in methods:
            if "{" in path:
                yield method, path


def test_every_endpoint_on_a_foreign_object_answers_404(world, as_user, client):
    from guichet.tickets.models import Quote

    victim = as_user(world.customer)
    ticket = victim.post("/tickets", {"subject": "Secret", "description": "our private problem"}).json()
    quote = Quote.objects.create(ticket_id=ticket["id"], amount=1, sent_at=ticket["opened_at"])
    from guichet.channels.models import OnCallRota, Page

    rota = OnCallRota.objects.create(team=world.noc)
    page = Page.objects.create(
        ticket_id=ticket["id"], rota=rota, reason="test", created_at=ticket["opened_at"]
    )
    from guichet.availability.models import Outage
    from tests.contracts.factories import SubscriptionFactory

    subscription = SubscriptionFactory(organisation=world.org, identifier="Secret line")
    outage = Outage.objects.create(title="Secret outage", started_at=ticket["opened_at"])
    outage.subscriptions.add(subscription)
    from guichet.billing.models import Claim

    claim = Claim.objects.create(
        organisation=world.org,
        subscription=subscription,
        ticket_id=ticket["id"],
        year=2026,
        month=10,
        customer_name="Secret",
        customer_contact="secret@example.com",
        outage_start=ticket["opened_at"],
        outage_end=ticket["opened_at"],
        description="our private problem",
        filed_by=world.customer,
        filed_at=ticket["opened_at"],
        door="api",
        verified_seconds=0,
        proposed_amount=0,
        currency="EUR",
        computation="",
    )
    from guichet.billing.models import Invoice

    invoice = Invoice.objects.create(
        number="F-2026-000999",
        organisation=world.org,
        year=2026,
        month=10,
        currency="EUR",
        billing_date="2026-11-01",
        issue_date="2026-11-01",
        due_date="2026-12-01",
        subtotal=1,
        vat_rate=17,
        vat_amount=0,
        total=1,
        issued_at=ticket["opened_at"],
        reason="Secret",
    )
    values = {
        "invoice_id": invoice.pk,
        "claim_id": claim.pk,
        "subscription_id": subscription.pk,
        "outage_id": outage.pk,
        "ref": ticket["reference"],
        "org_id": world.org.pk,
        "quote_id": quote.pk,
        "attachment_id": 1,
        "code": "office",
        "page_id": page.pk,
    }
    spy = as_user(world.foreigner)
    operations = list(_operations(client))
    assert len(operations) >= 18
    leaks = []
    for method, path in operations:
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path).removeprefix("/api/v1")
        if method == "get":
            response = spy.get(url)
        elif path.endswith("/attachments"):
            upload = SimpleUploadedFile("x.txt", b"hello")
            response = spy.client.post(f"/api/v1{url}", {"file": upload}, **spy._h())
        elif method == "patch":
            response = spy.patch(url, BODIES.get(path, {}))
        else:
            response = spy.post(url, BODIES.get(path, {}))
        expected = 200 if (method, path) in PUBLIC else 404
        if (
            response.status_code != expected
            or b"private problem" in response.content
            or b"Secret" in response.content
        ):
            leaks.append((method, path, response.status_code))
    assert leaks == []


@pytest.mark.parametrize("kind", ["agent", "billing_agent"])
def test_staff_outside_the_tickets_team_get_404_too(world, as_user, kind):
    ref = as_user(world.customer).post(
        "/tickets", {"subject": "Outage", "description": "x", "category": "incident"}
    )
    ref = ref.json()["reference"]  # routed to the NOC team
    outsider = as_user(getattr(world, kind))
    assert outsider.get(f"/tickets/{ref}").status_code == 404
    assert outsider.post(f"/tickets/{ref}/replies", {"body": "hi"}).status_code == 404
    assert as_user(world.noc_agent).get(f"/tickets/{ref}").status_code == 200


def test_a_customer_cannot_probe_user_ids_through_watchers_or_requesters(world, as_user):
    """Another organisation's contact, a member of staff and an id no one has: one answer, which says only
    that the id is not a contact of the caller's organisation."""
    from guichet.customers.models import User

    customer = as_user(world.customer)
    ref = customer.post("/tickets", {"subject": "Q", "description": "?"}).json()["reference"]
    nobody = User.objects.order_by("-pk").first().pk + 1000
    probes = {"foreign contact": world.foreigner.pk, "staff": world.agent.pk, "no one": nobody}
    for who, pk in probes.items():
        for path, body, field in (
            (f"/tickets/{ref}/watchers", {"user_id": pk}, "user_id"),
            (f"/tickets/{ref}/watchers/remove", {"user_id": pk}, "user_id"),
            ("/tickets", {"subject": "Q", "description": "?", "requester_id": pk}, "requester_id"),
        ):
            answer = customer.post(path, body)
            assert answer.status_code == 422, (who, path)
            [error] = answer.json()["detail"]
            said = f"No such contact of your organisation: {pk}."
            assert (error["field"], error["message"]) == (field, said)
    # A colleague is found, and staff still name anyone.
    assert customer.post(f"/tickets/{ref}/watchers", {"user_id": world.colleague.pk}).status_code == 200
    staff = as_user(world.supervisor).post(f"/tickets/{ref}/watchers", {"user_id": world.agent.pk})
    assert staff.status_code == 200
