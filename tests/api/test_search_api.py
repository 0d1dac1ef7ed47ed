"""GET /api/v1/tickets?q=: full-text search joined to the queue's filters, in rank order, with excerpts,
inside what the caller may see."""

import pytest

from guichet.tickets import services

pytestmark = pytest.mark.django_db


def open_ticket(world, subject, description, *, org=None, category="request"):
    return services.ticket_create(
        actor=world.supervisor,
        door="api",
        organisation=org or world.org,
        requester=world.foreigner if org is world.other_org else world.customer,
        subject=subject,
        description=description,
        category=category,
    )


def test_q_finds_ranks_and_excerpts(world, as_user):
    weak = open_ticket(world, "Lenteurs", "Le serveur de fichiers rame")
    strong = open_ticket(world, "Serveur de fichiers", "Le serveur <i>tombe</i> puis le serveur redémarre")
    open_ticket(world, "Autre chose", "Rien à voir")
    r = as_user(world.supervisor).get("/tickets", q="serveur fich")
    assert r.status_code == 200
    body = r.json()
    assert [t["reference"] for t in body] == [strong.reference, weak.reference]
    assert "<mark>" in body[0]["excerpt"] and "<i>" not in body[0]["excerpt"]
    excerpt = as_user(world.supervisor).get("/tickets", q="tombe").json()[0]["excerpt"]
    assert "&lt;i&gt;<mark>tombe</mark>&lt;/i&gt;" in excerpt


def test_q_joins_the_filters_and_the_scope(world, as_user):
    ours = open_ticket(world, "Badge perdu", "Badge introuvable")
    theirs = open_ticket(world, "Badge perdu", "Badge introuvable", org=world.other_org)
    incident = open_ticket(world, "Badge perdu", "Lecteur de badge en panne", category="incident")

    def refs(user, q="badge", **params):
        r = as_user(user).get("/tickets", q=q, **params)
        assert r.status_code == 200, r.content
        return {t["reference"] for t in r.json()}

    assert refs(world.customer) == {ours.reference, incident.reference}
    assert refs(world.foreigner) == {theirs.reference}
    assert refs(world.agent) == {ours.reference, theirs.reference}  # support, not the NOC's incident
    assert refs(world.supervisor, category="incident") == {incident.reference}
    assert refs(world.supervisor, organisation_id=world.other_org.pk) == {theirs.reference}
    assert refs(world.foreigner, q=ours.reference) == set()


def test_notes_are_searched_by_staff_only(world, as_user):
    t = open_ticket(world, "Routeur", "Il clignote")
    services.ticket_reply(actor=world.agent, door="api", ticket=t, body="Client mécontent", internal=True)
    assert [x["reference"] for x in as_user(world.agent).get("/tickets", q="mecontent").json()] == [
        t.reference
    ]
    assert as_user(world.customer).get("/tickets", q="mecontent").json() == []


def test_without_q_the_queue_and_no_excerpt(world, as_user):
    open_ticket(world, "Routeur", "Il clignote")
    body = as_user(world.supervisor).get("/tickets").json()
    assert len(body) == 1 and body[0]["excerpt"] is None
    assert len(as_user(world.supervisor).get("/tickets", q="   ").json()) == 1


def test_q_is_documented_and_bounded(world, as_user, client):
    schema = client.get("/api/openapi.json").json()
    params = schema["paths"]["/api/v1/tickets"]["get"]["parameters"]
    q = next(p for p in params if p["name"] == "q")
    assert "Full-text search" in q["description"] or "Full-text search" in str(q)
    assert as_user(world.supervisor).get("/tickets", q="x" * 501).status_code == 422


def test_a_page_of_results_costs_a_constant_number_of_queries(world, as_user, django_assert_max_num_queries):
    for i in range(15):
        open_ticket(world, f"Antenne {i}", "Signal faible")
    api = as_user(world.agent)
    api.get("/tickets", q="antenne")  # warm: the calendars' per-worker cache
    with django_assert_max_num_queries(14):
        r = api.get("/tickets", q="antenne", limit=10)
    assert len(r.json()) == 10
