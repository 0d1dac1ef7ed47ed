"""The extranet's search box: the customer's own organisation's tickets, public messages only."""

import pytest

from guichet.tickets import services
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def test_a_customer_finds_their_organisations_tickets_by_public_words_only(world):
    ours = services.ticket_create(
        actor=world.colleague,
        door="web",
        organisation=world.org,
        requester=world.colleague,
        subject="Téléphone muet",
        description="Plus de tonalité au standard",
    )
    services.ticket_reply(
        actor=world.agent, door="api", ticket=ours, body="Tonalité: client difficile", internal=True
    )
    theirs = services.ticket_create(
        actor=world.foreigner,
        door="web",
        organisation=world.other_org,
        requester=world.foreigner,
        subject="Téléphone muet",
        description="Plus de tonalité",
    )
    carla = signed_in(world.customer)
    page = carla.get("/extranet/tickets/", {"q": "tonalite"}).content.decode()
    assert ours.reference in page and theirs.reference not in page
    assert "<mark>tonalité</mark>" in page
    assert "difficile" not in page
    assert "1 ticket matches" in page
    notes = carla.get("/extranet/tickets/", {"q": "difficile"}).content.decode()
    assert ours.reference not in notes and "No ticket matches" in notes
    assert '<ol class="results">' not in notes  # the empty state is a sentence, not an item numbered 1
    other = signed_in(world.foreigner).get("/extranet/tickets/", {"q": ours.reference}).content.decode()
    assert f'href="/extranet/tickets/{ours.reference}/"' not in other and "0 tickets match" in other


def test_the_list_has_a_labelled_search_box(world):
    page = signed_in(world.customer).get("/extranet/tickets/").content.decode()
    assert '<label for="t_q">' in page and 'id="t_q"' in page
