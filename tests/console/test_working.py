"""The console's working tools: the live queue's conditional requests, bulk actions, macros and canned
replies with placeholders, who else is looking at a ticket, and the merge target's search."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.audit.models import AuditEvent
from guichet.console import services as console
from guichet.console.models import CannedReply, Presence
from guichet.errors import ValidationError
from guichet.tickets import services
from guichet.tickets.models import Priority, Status, Ticket
from tests.helpers import signed_in as browser

LU = ZoneInfo("Europe/Luxembourg")
MONDAY = datetime(2026, 11, 30, 9, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def open_ticket(world, subject, org=None, priority="medium"):
    org = org or world.org
    requester = world.customer if org == world.org else world.foreigner
    return services.ticket_create(
        actor=requester,
        door="api",
        organisation=org,
        requester=requester,
        subject=subject,
        description="x",
        priority=priority,
    )


# ----------------------------------------------------------------------------------------- the live queue


def test_the_rows_answer_304_until_a_ticket_changes_then_the_new_rows(world, django_assert_max_num_queries):
    first = open_ticket(world, "Line down")
    sue = browser(world.supervisor)
    answer = sue.get("/console/rows")
    etag = answer["ETag"]
    assert answer.status_code == 200 and first.reference in answer.text
    with django_assert_max_num_queries(6):  # session, user, the page's ids, its rows: not one per row
        assert sue.get("/console/rows", HTTP_IF_NONE_MATCH=etag).status_code == 304
    second = open_ticket(world, "Fax broken")
    changed = sue.get("/console/rows", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and second.reference in changed.text and changed["ETag"] != etag
    again = changed["ETag"]
    services.ticket_change(
        actor=world.supervisor, door="web", ticket=first, expected_version=None, priority="high"
    )
    assert sue.get("/console/rows", HTTP_IF_NONE_MATCH=again).status_code == 200  # a version moved


def test_the_rows_cost_the_same_queries_for_five_tickets_or_fifty(world):
    sue = browser(world.supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            sue.get("/console/rows")
        return len(seen)

    for n in range(5):
        open_ticket(world, f"Ticket {n}")
    queries()  # the session's first request writes it
    five = queries()
    for n in range(45):
        open_ticket(world, f"More {n}")
    # session, user, the page's ids, their versions (the fingerprint), the rows, their clocks' badges
    assert queries() == five <= 7
    assert sue.get("/console/rows").text.count("data-id=") == 50


def test_the_rows_follow_the_cursor_and_stay_in_scope(world):
    tickets = [open_ticket(world, f"Ticket {n}") for n in range(3)]
    theirs = open_ticket(world, "Not for the support team", org=world.other_org)
    Ticket.objects.filter(pk=theirs.pk).update(team=world.noc)
    alice = browser(world.agent)
    rows = alice.get("/console/rows").text
    assert theirs.reference not in rows and all(t.reference in rows for t in tickets)
    last = Ticket.objects.get(pk=tickets[0].pk)
    due = last.next_due_at.isoformat()
    after = alice.get("/console/rows", {"after": f"{due}~{last.pk}"}).text
    assert tickets[0].reference not in after and tickets[2].reference in after
    assert browser(world.customer).get("/console/rows").status_code == 403


# ------------------------------------------------------------------------------------------ bulk actions


def test_bulk_assign_and_priority_change_each_ticket_through_its_command(world):
    a, b = open_ticket(world, "One"), open_ticket(world, "Two")
    sue = browser(world.supervisor)
    answer = sue.post(
        "/console/bulk", {"ticket": [a.pk, b.pk], "assignee": "me", "priority": "high", "query": ""}
    )
    assert answer.status_code == 302
    for t in Ticket.objects.filter(pk__in=[a.pk, b.pk]):
        assert (t.assignee, t.priority, t.version) == (world.supervisor, Priority.HIGH, 2)
    assert AuditEvent.objects.filter(action="ticket.changed").count() == 2


def test_a_refused_bulk_change_leaves_every_ticket_as_it_was(world):
    a, b = open_ticket(world, "One"), open_ticket(world, "Two")
    sue = browser(world.supervisor)
    page = sue.post("/console/bulk", {"ticket": [a.pk, b.pk], "status": "nonsense"}, follow=True).text
    assert "status" in page
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.NEW}


def test_a_foreign_ticket_in_a_bulk_action_refuses_the_whole_action(world):
    mine = open_ticket(world, "Mine")
    theirs = open_ticket(world, "Theirs", org=world.other_org)
    Ticket.objects.filter(pk=theirs.pk).update(team=world.noc)
    alice = browser(world.agent)
    page = alice.post("/console/bulk", {"ticket": [mine.pk, theirs.pk], "assignee": "me"}, follow=True).text
    assert "no longer in your queue" in page
    assert not Ticket.objects.filter(assignee__isnull=False).exists()


def test_bulk_merge_merges_the_selected_into_the_target(world):
    target, a, b = open_ticket(world, "Target"), open_ticket(world, "Dup 1"), open_ticket(world, "Dup 2")
    sue = browser(world.supervisor)
    sue.post("/console/bulk", {"ticket": [a.pk, b.pk], "merge_into": target.reference, "do": "merge"})
    assert set(Ticket.objects.filter(merged_into=target).values_list("pk", flat=True)) == {a.pk, b.pk}


def test_a_bulk_action_with_nothing_selected_or_nothing_to_do_is_refused(world):
    t = open_ticket(world, "One")
    sue = browser(world.supervisor)
    assert "Select at least one ticket" in sue.post("/console/bulk", {"assignee": "me"}, follow=True).text
    assert "Choose what to change" in sue.post("/console/bulk", {"ticket": [t.pk]}, follow=True).text


# ------------------------------------------------------------------------------------ canned and macros


def test_a_canned_reply_fills_its_placeholders_for_the_ticket(world):
    world.customer.first_name, world.customer.last_name = "Carla", "Lopes"
    world.customer.time_zone, world.customer.language = "Europe/Luxembourg", "fr"
    world.customer.save()
    t = open_ticket(world, "SIP trunk down")
    canned = CannedReply.objects.create(
        title="Ack",
        body="Bonjour {{customer_name}}, {{ ticket_reference }} ({{organisation}}) avant {{due_time}}.",
    )
    text = (
        browser(world.agent).get(f"/console/tickets/{t.reference}/canned", {"id": canned.pk}).json()["text"]
    )
    assert text.startswith(f"Bonjour Carla Lopes, {t.reference} (Acme) avant ")
    assert "{{" not in text and "30 novembre 2026" in text, text  # in the requester's language


def test_an_unknown_placeholder_is_refused_by_name():
    with pytest.raises(ValidationError) as refused:
        console.check_canned_body("Hello {{customer_nmae}}")
    assert "customer_nmae" in str(refused.value)


def test_a_macro_answers_and_moves_the_ticket_in_one_transaction(world):
    t = open_ticket(world, "Invoice question")
    macro = CannedReply.objects.create(
        title="To billing",
        body="Billing will answer you.",
        set_team=world.billing,
        set_status=Status.PENDING_CUSTOMER,
    )
    alice = browser(world.agent)
    alice.post(
        f"/console/tickets/{t.reference}/macro", {"canned": macro.pk, "body": "", "version": t.version}
    )
    t.refresh_from_db()
    assert (t.team, t.status) == (world.billing, Status.PENDING_CUSTOMER)
    assert t.messages.filter(body="Billing will answer you.").exists()


def test_a_macro_whose_change_is_refused_sends_no_answer(world):
    t = open_ticket(world, "Question")
    macro = CannedReply.objects.create(title="Stale", body="Done.", set_status=Status.RESOLVED)
    alice = browser(world.agent)
    page = alice.post(
        f"/console/tickets/{t.reference}/macro", {"canned": macro.pk, "body": "", "version": t.version + 5}
    )
    assert page.status_code == 302
    assert t.messages.count() == 1  # the opening message only: the stale version refused it all


# ------------------------------------------------------------------------------------------- presence


def test_agents_see_each_other_on_a_ticket_until_they_leave(world, frozen):
    t = open_ticket(world, "Line down")
    alice, sue = browser(world.agent), browser(world.supervisor)
    assert "is looking" not in alice.post(f"/console/tickets/{t.reference}/presence").text
    seen = sue.post(f"/console/tickets/{t.reference}/presence", {"composing": "1"}).text
    assert "is looking at this ticket" in seen  # Alice
    assert "is writing an answer" in alice.get(f"/console/tickets/{t.reference}/presence").text  # Sue
    frozen.shift(timedelta(minutes=2))
    assert "is writing" not in alice.post(f"/console/tickets/{t.reference}/presence").text  # Sue went quiet
    alice.post(f"/console/tickets/{t.reference}/presence", {"leave": "1"})
    assert not Presence.objects.filter(user=world.agent).exists()


def test_presence_is_for_staff_who_may_see_the_ticket(world):
    theirs = open_ticket(world, "Theirs", org=world.other_org)
    Ticket.objects.filter(pk=theirs.pk).update(team=world.noc)
    assert browser(world.agent).post(f"/console/tickets/{theirs.reference}/presence").status_code == 404
    assert browser(world.customer).post(f"/console/tickets/{theirs.reference}/presence").status_code == 403


# ----------------------------------------------------------------------------------------- merge targets


def test_merge_targets_are_the_same_organisations_open_tickets_matching_the_words(world):
    t = open_ticket(world, "SIP trunk down")
    same = open_ticket(world, "SIP trunk still down")
    other = open_ticket(world, "Fax")
    foreign = open_ticket(world, "SIP trunk", org=world.other_org)
    options = (
        browser(world.supervisor).get(f"/console/tickets/{t.reference}/merge-targets", {"q": "sip"}).text
    )
    assert same.reference in options
    assert t.reference not in options and other.reference not in options and foreign.reference not in options
