"""Possible duplicates: which tickets are compared, and what each comparison costs."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.tickets import services
from guichet.tickets.selectors import fingerprints, similar_open_tickets


def _open(world, subject, body):
    return services.ticket_create(
        actor=world.customer,
        door="web",
        organisation=world.org,
        requester=world.customer,
        subject=subject,
        description=body,
    )


def test_bodies_are_read_once_per_ticket_then_compared_from_fingerprints(world):
    sip = _open(world, "SIP trunk down at Site B", "No calls since 9, the trunk is unregistered")
    for i in range(5):
        _open(world, f"Invoice {i} of October", "The amount is wrong")
    with CaptureQueriesContext(connection) as first:
        found = similar_open_tickets(
            world.org.pk, "Site B SIP trunks down", "trunk unregistered, no calls", user=world.customer
        )
    assert [t.pk for t, _ in found] == [sip.pk]
    with CaptureQueriesContext(connection) as second:
        again = similar_open_tickets(
            world.org.pk, "Site B SIP trunks down", "trunk unregistered, no calls", user=world.customer
        )
    assert again == found
    assert len(first) == 2  # the candidates, then the first message of the six unseen ones
    assert len(second) == 1  # the candidates only: their fingerprints are known
    assert fingerprints.get((sip.pk, sip.subject)) is not None


def test_a_ticket_just_opened_through_the_api_is_compared_with_from_memory(world, as_user):
    carla = as_user(world.customer)
    first = carla.post("/tickets", {"subject": "SIP trunk down at Site B", "description": "unregistered"})
    ref = first.json()["reference"]
    with CaptureQueriesContext(connection) as second:
        found = carla.post("/tickets", {"subject": "Site B SIP trunk down", "description": "unregistered"})
    assert [d["reference"] for d in found.json()["possible_duplicates"]] == [ref]
    # The first one's fingerprint was kept when it was created: no first message read to score it.
    reads = [q["sql"] for q in second.captured_queries if q["sql"].startswith("SELECT")]
    assert reads and not [sql for sql in reads if '"tickets_ticketmessage"' in sql]


def test_scores_from_cached_fingerprints_equal_scores_from_the_texts(world):
    from guichet.text.similarity import similarity

    same = _open(world, "Fibre link down", "The fibre to the Esch warehouse is cut since 8:00")
    other = _open(world, "Fibre link down", "Billing portal shows an error on login")
    query = ("fibre down", "fibre cut at the Esch warehouse")
    for _ in range(2):  # cold, then from the cache
        scores = {t.pk: s for t, s in similar_open_tickets(world.org.pk, *query, user=world.customer)}
        assert scores[same.pk] == similarity(*query, same.subject, same.messages.first().body)
        assert scores[same.pk] > scores.get(other.pk, 0.0)


def test_the_cache_is_bounded_and_keeps_the_latest():
    from guichet.text.similarity import fingerprint
    from guichet.tickets.selectors import FingerprintCache

    cache = FingerprintCache(size=3)
    for i in range(5):
        cache.put((i, "s"), fingerprint(f"subject {i}", ""))
    assert [cache.get((i, "s")) is not None for i in range(5)] == [False, False, True, True, True]
