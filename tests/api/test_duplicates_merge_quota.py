"""Duplicates offered on creation, merge, and monthly quotas, through the API."""

from decimal import Decimal

from guichet.text.similarity import similarity
from guichet.tickets.models import Ticket, TicketMessage


def test_similarity_sees_through_accents_plurals_and_word_order():
    assert similarity("Ligne SIP coupée", "", "lignes sip coupees", "") > 0.5
    assert similarity("Ligne SIP coupée", "", "Question sur la facture", "") < 0.1


def test_open_tickets_that_look_the_same_are_offered_on_creation(world, as_user):
    carla, colin = as_user(world.customer), as_user(world.colleague)
    first = carla.post(
        "/tickets", {"subject": "SIP trunk down at Site B", "description": "No calls since 9"}
    ).json()
    carla.post("/tickets", {"subject": "Invoice of October", "description": "Wrong amount"})
    second = colin.post(
        "/tickets", {"subject": "Site B: SIP trunks down", "description": "calls fail"}
    ).json()
    assert [d["reference"] for d in second["possible_duplicates"]] == [first["reference"]]
    assert second["possible_duplicates"][0]["score"] >= 0.3
    typed = carla.get("/tickets/similar", subject="sip trunk site b").json()
    assert {d["reference"] for d in typed} == {first["reference"], second["reference"]}


def test_another_organisations_tickets_are_never_offered(world, as_user):
    theirs = as_user(world.foreigner).post(
        "/tickets", {"subject": "SIP trunk down", "description": "No calls"}
    )
    carla = as_user(world.customer)
    ours = carla.post("/tickets", {"subject": "SIP trunk down", "description": "No calls"}).json()
    assert ours["possible_duplicates"] == []
    # Asking about the other organisation only ever searches one's own.
    found = carla.get("/tickets/similar", subject="SIP trunk down", organisation_id=world.other_org.pk).json()
    assert [d["reference"] for d in found] == [ours["reference"]]
    assert theirs.json()["reference"] not in [d["reference"] for d in found]


def test_merge_moves_messages_and_watchers_and_later_replies_land_in_the_survivor(world, as_user):
    carla, colin, sue = as_user(world.customer), as_user(world.colleague), as_user(world.supervisor)
    keep = carla.post("/tickets", {"subject": "Trunk down", "description": "first report"}).json()[
        "reference"
    ]
    dup = colin.post("/tickets", {"subject": "Trunk down too", "description": "second report"}).json()[
        "reference"
    ]
    response = sue.post(f"/tickets/{dup}/merge", {"into": keep})
    assert response.status_code == 200, response.content
    merged = sue.get(f"/tickets/{dup}").json()
    assert merged["status"] == "closed" and merged["merged_into"] == keep
    bodies = [m["body"] for m in sue.get(f"/tickets/{keep}/messages").json()]
    assert bodies == ["first report", "second report"]
    survivor = Ticket.objects.get(reference=keep)
    assert {u.username for u in survivor.watchers.all()} == {"carla", "colin"}
    assert colin.post(f"/tickets/{dup}/replies", {"body": "still down"}).status_code == 201
    assert TicketMessage.objects.filter(ticket=survivor, body="still down").exists()
    assert [e["action"] for e in sue.get(f"/tickets/{dup}/history").json()][-1] == "ticket.merged"


def test_customers_cannot_merge_and_organisations_do_not_mix(world, as_user):
    carla = as_user(world.customer)
    a = carla.post("/tickets", {"subject": "A", "description": "a"}).json()["reference"]
    b = carla.post("/tickets", {"subject": "B", "description": "b"}).json()["reference"]
    assert carla.post(f"/tickets/{a}/merge", {"into": b}).status_code == 403
    foreign = (
        as_user(world.foreigner).post("/tickets", {"subject": "C", "description": "c"}).json()["reference"]
    )
    response = as_user(world.supervisor).post(f"/tickets/{a}/merge", {"into": foreign})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "into"


def _quota(world, quota, policy):
    plan = world.use_plan("office")
    plan.monthly_ticket_quota = quota
    plan.quota_policy = policy
    plan.save()


def test_over_quota_tickets_are_flagged_when_the_plan_allows_them(world, as_user):
    _quota(world, 2, "flag")
    carla = as_user(world.customer)
    flags = [
        carla.post("/tickets", {"subject": f"T{i}", "description": "x"}).json()["over_quota"]
        for i in range(3)
    ]
    assert flags == [False, False, True]
    assert carla.get(f"/organisations/{world.org.pk}/quota").json() == {
        "quota": 2,
        "used": 3,
        "remaining": 0,
        "policy": "flag",
    }


def test_over_quota_tickets_are_refused_with_a_message_that_says_so(world, as_user):
    _quota(world, 1, "refuse")
    carla = as_user(world.customer)
    assert carla.post("/tickets", {"subject": "T1", "description": "x"}).status_code == 201
    response = carla.post("/tickets", {"subject": "T2", "description": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "quota_exceeded"
    assert "has used its 1 ticket this month;" in response.json()["detail"]  # one ticket, not "1 tickets"
    assert Ticket.objects.count() == 1


def test_quotes_for_technical_service_requests(world, as_user):
    carla, alice = as_user(world.customer), as_user(world.agent)
    ref = carla.post(
        "/tickets", {"subject": "Restore deleted items", "description": "db", "category": "technical_service"}
    ).json()
    assert ref["outside_sla"] is True and ref["sla"]["first_response"]["state"] == "not_applicable"
    quote = alice.post(f"/tickets/{ref['reference']}/quotes", {"amount": "250.00"})
    assert quote.status_code == 201 and Decimal(quote.json()["amount"]) == Decimal("250.00")
    qid = quote.json()["id"]
    assert alice.post(f"/tickets/{ref['reference']}/quotes/{qid}/accept").status_code == 403
    decided = carla.post(f"/tickets/{ref['reference']}/quotes/{qid}/refuse").json()
    assert decided["status"] == "refused"
    assert carla.get(f"/tickets/{ref['reference']}").json()["status"] == "resolved"


def test_only_admin_or_billing_contacts_accept_or_refuse_a_quote(world, as_user):
    """A quote is a commitment to pay: Colin (technical contact) may read it, not decide it."""
    from tests.customers.factories import ContactFactory

    carla, colin, alice = as_user(world.customer), as_user(world.colleague), as_user(world.agent)
    betty = as_user(ContactFactory(organisation=world.org, user__username="betty", roles=["billing"]).user)
    ref = carla.post(
        "/tickets", {"subject": "Move the rack", "description": "x", "category": "technical_service"}
    ).json()["reference"]
    qid = alice.post(f"/tickets/{ref}/quotes", {"amount": "90.00"}).json()["id"]
    assert [q["id"] for q in colin.get(f"/tickets/{ref}/quotes").json()] == [qid]
    for decision in ("accept", "refuse"):
        response = colin.post(f"/tickets/{ref}/quotes/{qid}/{decision}")
        assert response.status_code == 403
        assert response.json()["detail"] == (
            "Only your organisation's admin or billing contacts may accept or refuse a quote."
        )
    assert colin.get(f"/tickets/{ref}/quotes").json()[0]["status"] == "sent"
    accepted = betty.post(f"/tickets/{ref}/quotes/{qid}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
