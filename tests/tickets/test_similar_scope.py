"""`tickets/similar` (and a new ticket's possible duplicates) offer only tickets the caller may see: naming an
organisation does not open its tickets to a member of staff."""

from guichet.tickets import services


def test_staff_are_offered_only_the_similar_tickets_they_may_see(world, as_user):
    incident = services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Fibre link down at the warehouse",
        description="The fibre is cut",
        category="incident",  # the NOC's: not the support team's, nor billing's
    )
    query = {"subject": "Fibre link down at warehouse", "organisation_id": world.org.pk}
    seen = {
        who: [t["reference"] for t in as_user(getattr(world, who)).get("/tickets/similar", **query).json()]
        for who in ("noc_agent", "supervisor", "agent", "billing_agent")
    }
    assert seen == {
        "noc_agent": [incident.reference],
        "supervisor": [incident.reference],
        "agent": [],
        "billing_agent": [],
    }
