"""Two agents change one ticket at the same moment, for real: two HTTP clients released together on a
gunicorn with two worker processes. Both read version v; exactly one change wins, the other is refused
(409 from the API, the conflict named on the console's page), and the ticket and its history hold the
winner's change only. Two replies at the same moment are both kept.

The services lock the ticket row (SELECT … FOR UPDATE; on SQLite the write transaction is taken up front)
before they compare versions, so the check and the write cannot interleave."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from .processes import Web, gunicorn

PRIORITIES = ["low", "medium", "high", "urgent"]


def together(*calls):
    """Run the calls in two threads released by one barrier, at the same instant; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def site(fault_db):
    made = fault_db.make("edits")
    server, port = gunicorn(fault_db)
    yield fault_db, port, made
    assert server.stop() == 0, server.output()[-3000:]


def history(db, ticket_id: int, action: str) -> int:
    return db.scalar(
        "SELECT count(*) FROM audit_auditevent WHERE target_type = 'tickets.ticket' "
        f"AND target_id = {ticket_id} AND action = '{action}'"
    )


def test_two_agents_patching_one_version_through_the_api_one_wins_one_gets_409(site):
    db, port, made = site
    ref = made["ref"]
    alice, bob = (Web(port, token=made["agents"][name]["token"]) for name in ("alice", "bob"))
    ticket_id = db.scalar(f"SELECT id FROM tickets_ticket WHERE reference = '{ref}'")
    rounds, wins = 8, {"alice": 0, "bob": 0}
    for _ in range(rounds):
        read = [agent.api("GET", f"/tickets/{ref}").json() for agent in (alice, bob)]
        version, current = read[0]["version"], read[0]["priority"]
        assert read[1]["version"] == version  # both agents read the same version
        a_wants, b_wants = [p for p in PRIORITIES if p != current][:2]
        answers = together(
            partial(alice.api, "PATCH", f"/tickets/{ref}", {"version": version, "priority": a_wants}),
            partial(bob.api, "PATCH", f"/tickets/{ref}", {"version": version, "priority": b_wants}),
        )
        assert sorted(a.status for a in answers) == [200, 409], [a.text for a in answers]
        winner = 0 if answers[0].status == 200 else 1
        loser = answers[1 - winner].json()
        assert loser["current_version"] == version + 1 and "version" in loser["detail"]
        wins[("alice", "bob")[winner]] += 1
        stored = alice.api("GET", f"/tickets/{ref}").json()
        assert (stored["version"], stored["priority"]) == (version + 1, (a_wants, b_wants)[winner])
    # The history holds one change per round: the refused ones left no trace.
    assert history(db, ticket_id, "ticket.changed") == rounds
    print(f"\napi: {rounds} races, each one 200 and one 409 (alice won {wins['alice']}, bob {wins['bob']})")


def test_two_agents_submitting_the_console_form_one_wins_the_other_is_told_of_the_conflict(site):
    db, port, made = site
    ref = made["ref"]
    alice, bob = Web(port).login("alice", "pw"), Web(port).login("bob", "pw")
    ticket_id = db.scalar(f"SELECT id FROM tickets_ticket WHERE reference = '{ref}'")
    page = f"/console/tickets/{ref}/"
    forms = []
    for agent in (alice, bob):  # each opens the ticket: the form carries the version it shows
        shown = agent.request("GET", page)
        assert shown.status == 200
        version = re.search(r'name="version" value="(\d+)"', shown.text)
        assert version
        forms.append({"csrfmiddlewaretoken": agent.csrf(shown), "version": version.group(1)})
    assert forms[0]["version"] == forms[1]["version"]
    answers = together(
        lambda: alice.form(f"/console/tickets/{ref}/change", {**forms[0], "priority": "urgent"}),
        lambda: bob.form(f"/console/tickets/{ref}/change", {**forms[1], "status": "on_hold"}),
    )
    assert [a.status for a in answers] == [302, 302]
    after = [agent.request("GET", page).text for agent in (alice, bob)]
    told = ["Ticket updated." in text for text in after]
    refused = ["changed since version" in text for text in after]
    assert sorted(told) == [False, True] and refused == [not t for t in told]
    winner = told.index(True)
    priority, status, version = db.rows(
        f"SELECT priority, status, version FROM tickets_ticket WHERE id = {ticket_id}"
    )[0]
    expected = ("urgent", "new") if winner == 0 else ("medium", "on_hold")
    assert (priority, status) == expected and version == int(forms[0]["version"]) + 1
    assert history(db, ticket_id, "ticket.changed") == 1
    print(f"\nconsole: one form saved ({('alice', 'bob')[winner]}), the other told of the conflict")


def test_two_replies_at_the_same_moment_are_both_kept(site):
    db, port, made = site
    ref = made["ref"]
    tokens = made["agents"]
    alice_api, bob_api = Web(port, token=tokens["alice"]["token"]), Web(port, token=tokens["bob"]["token"])
    alice, bob = Web(port).login("alice", "pw"), Web(port).login("bob", "pw")
    ticket_id = db.scalar(f"SELECT id FROM tickets_ticket WHERE reference = '{ref}'")
    page = f"/console/tickets/{ref}/"
    tokens = [agent.csrf(agent.request("GET", page)) for agent in (alice, bob)]
    api = together(
        lambda: alice_api.api("POST", f"/tickets/{ref}/replies", {"body": "API reply from Alice"}),
        lambda: bob_api.api("POST", f"/tickets/{ref}/replies", {"body": "API reply from Bob"}),
    )
    assert [a.status for a in api] == [201, 201]
    console = together(
        lambda: alice.form(
            f"{page}reply", {"csrfmiddlewaretoken": tokens[0], "body": "Console reply from Alice"}
        ),
        lambda: bob.form(
            f"{page}reply", {"csrfmiddlewaretoken": tokens[1], "body": "Console reply from Bob"}
        ),
    )
    assert [a.status for a in console] == [302, 302]
    bodies = {b for (b,) in db.rows(f"SELECT body FROM tickets_ticketmessage WHERE ticket_id = {ticket_id}")}
    assert {
        "API reply from Alice",
        "API reply from Bob",
        "Console reply from Alice",
        "Console reply from Bob",
    } <= bodies
    assert history(db, ticket_id, "ticket.replied") == 4
