"""The console's search page and the box in the top bar: results in scope, filters, highlighted excerpts."""

import pytest

from guichet.tickets import services
from tests.helpers import signed_in

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


def test_the_top_bar_has_a_search_box_for_staff_only(world):
    page = signed_in(world.agent).get("/console/").content.decode()
    assert 'action="/console/search/"' in page and 'id="top_q"' in page
    assert 'id="top_q"' not in signed_in(world.customer).get("/extranet/tickets/").content.decode()


def test_results_with_excerpts_inside_the_agents_scope(world):
    ours = open_ticket(world, "Central téléphonique", "Le standard redémarre <tout seul>")
    open_ticket(world, "Central téléphonique", "Panne du standard", category="incident")  # the NOC's
    response = signed_in(world.agent).get("/console/search/", {"q": "standard"})
    assert response.status_code == 200
    page = response.content.decode()
    assert ours.reference in page
    assert "<mark>standard</mark>" in page and "&lt;tout seul&gt;" in page
    assert "Panne du" not in page
    assert "(1)" in page  # the count is the agent's, not everyone's


def test_filters_and_statuses(world):
    a = open_ticket(world, "Imprimante", "Bourrage")
    b = open_ticket(world, "Imprimante", "Bourrage", org=world.other_org)
    services.ticket_change(
        actor=world.supervisor, door="api", ticket=a, expected_version=None, status="closed"
    )
    sue = signed_in(world.supervisor)
    everything = sue.get("/console/search/", {"q": "imprimante"}).content.decode()
    assert a.reference in everything and b.reference in everything  # closed tickets too
    only_open = sue.get("/console/search/", {"q": "imprimante", "status": "new"}).content.decode()
    assert a.reference not in only_open and b.reference in only_open
    theirs = sue.get("/console/search/", {"q": "imprimante", "organisation": world.other_org.pk})
    assert a.reference not in theirs.content.decode()


def test_empty_query_and_customers_refused(world):
    page = signed_in(world.agent).get("/console/search/").content.decode()
    assert "No ticket matches" not in page
    none = signed_in(world.agent).get("/console/search/", {"q": "zzzz"}).content.decode()
    assert "No ticket matches" in none and '<ol class="results">' not in none  # a sentence, not item 1
    assert signed_in(world.customer).get("/console/search/", {"q": "x"}).status_code in (302, 403, 404)


def test_a_page_of_results_costs_a_constant_number_of_queries(world, django_assert_max_num_queries):
    for i in range(12):
        open_ticket(world, f"Alarme {i}", "Alarme incendie")
    sue = signed_in(world.supervisor)
    sue.get("/console/search/", {"q": "alarme"})
    with django_assert_max_num_queries(14):
        response = sue.get("/console/search/", {"q": "alarme"})
    assert response.content.decode().count("<mark>") >= 12
