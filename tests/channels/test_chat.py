"""The web chat: the contact's panel in the extranet, the agents' console, conversion into one ticket."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from guichet.channels import chat
from guichet.channels.models import ChatConversation, ChatMessage
from guichet.errors import PermissionDenied, ValidationError
from guichet.tickets.models import Channel, Clock, ClockState, Status, Ticket
from tests.helpers import signed_in as browser

LU = ZoneInfo("Europe/Luxembourg")
MONDAY_10 = datetime(2026, 11, 30, 10, tzinfo=LU)  # inside the Office plan's support hours


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def later(clock, **delta):
    clock.move_to(datetime.now(LU) + timedelta(**delta))


def mails_enqueued(kind: str) -> int:
    return sum(
        1
        for args in DBTaskResult.objects.filter(task_path__endswith="send_ticket_mail").values_list(
            "args_kwargs", flat=True
        )
        if args["args"][1] == kind
    )


# ------------------------------------------------------------------------------------------- services


def test_a_contact_writes_into_one_open_conversation(world, clock):
    first = chat.customer_send(world.customer, "Hello, our SIP trunk is down")
    later(clock, minutes=1)
    second = chat.customer_send(world.customer, "Since 9:40")
    assert first.conversation_id == second.conversation_id
    conversation = ChatConversation.objects.get()
    assert (conversation.organisation, conversation.contact, conversation.message_count) == (
        world.org,
        world.customer,
        2,
    )
    assert conversation.waiting_for_staff and conversation.ticket is None


def test_the_database_allows_one_open_conversation_per_contact(world, clock):
    chat.customer_send(world.customer, "Hello")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatConversation.objects.create(
            organisation=world.org, contact=world.customer, started_at=MONDAY_10, last_message_at=MONDAY_10
        )


@pytest.mark.parametrize("language", ["en", "fr"])  # an English sentence: its labels English too
def test_a_plan_without_chat_is_refused_naming_the_channels_it_includes(world, clock, language):
    world.use_plan("basic")
    with pytest.raises(ValidationError) as err, translation.override(language):
        chat.customer_send(world.customer, "Hello")
    assert err.value.message_dict["channel"] == [
        "The Basic plan does not include support by Chat: use Portal, the API, Email."
    ]
    assert ChatConversation.objects.count() == 0


def test_empty_and_overlong_lines_are_refused(world, clock):
    with pytest.raises(ValidationError, match="Write a message first"):
        chat.customer_send(world.customer, "   ")
    with pytest.raises(ValidationError, match="At most 4000 characters"):
        chat.customer_send(world.customer, "x" * 4001)


def test_staff_and_customers_keep_to_their_sides(world, clock):
    line = chat.customer_send(world.customer, "Hello")
    with pytest.raises(PermissionDenied):
        chat.customer_send(world.agent, "I am not a contact")
    with pytest.raises(PermissionDenied):
        chat.staff_send(line.conversation, world.customer, "I am not staff")
    with pytest.raises(PermissionDenied):
        chat.convert(line.conversation, by=world.customer)
    with pytest.raises(PermissionDenied):
        chat.end(line.conversation, by=world.colleague)


def test_an_agent_answer_takes_the_chat(world, clock):
    line = chat.customer_send(world.customer, "Hello")
    later(clock, minutes=2)
    chat.staff_send(line.conversation, world.agent, "Hello Carla, looking at it")
    conversation = ChatConversation.objects.get()
    assert conversation.agent == world.agent and not conversation.waiting_for_staff


def test_converting_makes_one_ticket_with_every_line_at_its_instant(
    world, clock, django_capture_on_commit_callbacks
):
    conversation = chat.customer_send(world.customer, "Our SIP trunk is down\nsince 9:40").conversation
    later(clock, minutes=3)
    answered_at = datetime.now(LU)
    chat.staff_send(conversation, world.agent, "Checking the trunk now")
    later(clock, minutes=1)
    chat.customer_send(world.customer, "Thanks")
    later(clock, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = chat.convert(conversation, by=world.agent, category="incident", priority="high")
        assert chat.convert(conversation, by=world.agent) == ticket  # never two tickets

    assert ticket.subject == "Chat: Our SIP trunk is down since 9:40"
    assert (ticket.channel, ticket.category, ticket.priority) == (Channel.CHAT, "incident", "high")
    assert ticket.requester == world.customer and ticket.opened_at == MONDAY_10
    assert ticket.first_response_at == answered_at  # the agent's first line met the first-response clock
    first_response = ticket.clocks.get(clock=Clock.FIRST_RESPONSE)
    assert first_response.stopped and first_response.state == ClockState.MET
    assert first_response.used_seconds == 3 * 60
    messages = list(ticket.messages.order_by("created_at").values_list("body", "author__username", "channel"))
    assert messages == [
        ("Our SIP trunk is down\nsince 9:40", "carla", "chat"),
        ("Checking the trunk now", "alice", "chat"),
        ("Thanks", "carla", "chat"),
    ]
    assert all(line.ticket_message_id for line in ChatMessage.objects.all())
    conversation.refresh_from_db()
    assert (conversation.ticket, conversation.converted_by, conversation.status) == (
        ticket,
        world.agent,
        "open",
    )
    # The customer is told the reference and due instants by mail; the chat's lines are not mailed.
    assert mails_enqueued("received") == 1 and mails_enqueued("reply") == 0

    later(clock, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        chat.staff_send(conversation, world.agent, "Fixed: please test")
    assert ticket.messages.count() == 4 and mails_enqueued("reply") == 0
    assert ChatMessage.objects.order_by("-pk").first().ticket_message.body == "Fixed: please test"


def test_a_chat_becomes_a_ticket_by_itself_after_a_short_exchange(world, clock, settings):
    settings.GUICHET_CHAT_TICKET_AFTER_MESSAGES = 4
    conversation = chat.customer_send(world.customer, "Question about my invoice").conversation
    for n in range(2):
        later(clock, minutes=1)
        chat.staff_send(conversation, world.agent, f"answer {n}")
    assert Ticket.objects.count() == 0
    later(clock, minutes=1)
    chat.customer_send(world.customer, "Still unclear")  # the fourth line
    ticket = Ticket.objects.get()
    assert ticket.messages.count() == 4 and ticket.opened_at == MONDAY_10
    conversation.refresh_from_db()
    assert conversation.ticket == ticket and conversation.converted_by is None


def test_an_unanswered_chat_becomes_a_ticket_on_the_clocks(world, clock):
    chat.customer_send(world.customer, "Is anyone there?")
    later(clock, minutes=14)
    assert chat.chat_sweep.call() == {"converted": 0, "ended": 0}
    later(clock, minutes=1)
    assert chat.chat_sweep.call() == {"converted": 1, "ended": 0}
    ticket = Ticket.objects.get()
    assert ticket.opened_at == MONDAY_10 and ticket.status == Status.NEW
    assert not ticket.clocks.get(clock=Clock.FIRST_RESPONSE).stopped  # still waiting for us
    assert chat.chat_sweep.call() == {"converted": 0, "ended": 0}


def test_idle_chats_end_and_keep_their_transcript(world, clock):
    conversation = chat.customer_send(world.customer, "Hello").conversation
    chat.staff_send(conversation, world.agent, "Hello, how can I help?")
    chat.end(conversation, by=None, reason="test")  # ends at once...
    chat.end(conversation, by=world.agent, reason="again")  # ...and only once
    conversation.refresh_from_db()
    assert (conversation.status, conversation.end_reason, conversation.ended_by) == ("closed", "test", None)
    assert [line.body for line in chat.transcript(conversation)] == ["Hello", "Hello, how can I help?"]
    with pytest.raises(ValidationError, match="This chat has ended"):
        chat.staff_send(conversation, world.agent, "too late")

    other = chat.customer_send(world.colleague, "Hi").conversation
    later(clock, minutes=10)
    chat.staff_send(other, world.agent, "Hi Colin")
    later(clock, minutes=4)
    assert chat.chat_sweep.call() == {"converted": 0, "ended": 0}
    later(clock, minutes=26)  # 30 minutes without a line (and past the 15 minutes: a ticket first)
    assert chat.chat_sweep.call() == {"converted": 1, "ended": 1}
    other.refresh_from_db()
    assert other.status == "closed" and other.end_reason == "idle" and other.ticket is not None


def test_a_new_line_after_the_end_opens_a_new_conversation(world, clock):
    first = chat.customer_send(world.customer, "Hello").conversation
    chat.end(first, by=world.customer)
    second = chat.customer_send(world.customer, "Me again").conversation
    assert second.pk != first.pk and ChatConversation.objects.filter(status="open").count() == 1


# ---------------------------------------------------------------------------------------------- pages


def test_the_contact_chats_from_the_extranet(world, clock):
    carla = browser(world.customer)
    page = carla.get(reverse("chat-panel"))
    assert page.status_code == 200 and "Start the chat" in page.text
    assert carla.post(reverse("chat-panel"), {"body": "<b>Trunk</b> down"}).status_code == 302
    page = carla.get(reverse("chat-panel"))
    assert "&lt;b&gt;Trunk&lt;/b&gt; down" in page.text and "<b>Trunk" not in page.text  # escaped
    conversation = ChatConversation.objects.get()
    assert f'hx-get="/extranet/chat/{conversation.pk}/transcript"' in page.text
    assert "/static/django_htmx/htmx" in page.text  # served by the app, no CDN

    chat.staff_send(conversation, world.agent, "On it")
    fragment = carla.get(reverse("chat-transcript", args=[conversation.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "On it" in fragment.text and "<html" not in fragment.text

    assert carla.post(reverse("chat-end", args=[conversation.pk])).status_code == 302
    stopped = carla.get(reverse("chat-transcript", args=[conversation.pk]), HTTP_HX_REQUEST="true")
    assert stopped.status_code == 286 and "This chat has ended" in stopped.text  # htmx stops polling
    page = carla.get(reverse("chat-panel"))
    assert "Earlier chats" in page.text
    assert "On it" in carla.get(reverse("chat-conversation", args=[conversation.pk])).text


def test_bad_lines_get_a_400_naming_the_field(world, clock):
    page = browser(world.customer).post(reverse("chat-panel"), {"body": ""})
    assert page.status_code == 400 and "Write a message first." in page.text and "body:" not in page.text
    world.use_plan("basic")
    page = browser(world.customer).get(reverse("chat-panel"))
    assert "does not include support by Chat" in page.text and "Start the chat" not in page.text
    page = browser(world.customer).post(reverse("chat-panel"), {"body": "Hello"})
    assert (
        page.status_code == 400
        and "The Basic plan does not include" in page.text
        and "channel:" not in page.text
    )


def test_a_contact_reaches_only_their_own_chats(world, clock):
    mine = chat.customer_send(world.customer, "Mine").conversation
    for who in (world.colleague, world.foreigner):
        client = browser(who)
        for name in ("chat-transcript", "chat-conversation"):
            assert client.get(reverse(name, args=[mine.pk])).status_code == 404
        assert client.post(reverse("chat-end", args=[mine.pk])).status_code == 404
    assert ChatConversation.objects.get().status == "open"


def test_the_console_is_for_staff_and_the_extranet_chat_for_contacts(world, clock):
    conversation = chat.customer_send(world.customer, "Hello").conversation
    carla = browser(world.customer)
    for name in ("chat-console", "chat-console-transcript"):
        assert carla.get(reverse(name, args=[conversation.pk])).status_code == 403
    assert carla.get(reverse("chat-queue")).status_code == 403
    for name in ("chat-reply", "chat-convert", "chat-console-end"):
        assert carla.post(reverse(name, args=[conversation.pk]), {"body": "x"}).status_code == 403
    assert browser(world.agent).get(reverse("chat-panel")).status_code == 403
    anonymous = Client().get(reverse("chat-queue"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert Client().get(reverse("chat-panel")).status_code == 302


def test_agents_answer_convert_and_end_from_the_console(world, clock):
    conversation = chat.customer_send(world.customer, "Hello, invoice question").conversation
    alice = browser(world.agent)
    queue = alice.get(reverse("chat-queue"))
    assert queue.status_code == 200 and "waiting" in queue.text and "Acme" in queue.text
    page = alice.get(reverse("chat-console", args=[conversation.pk]))
    assert "Hello, invoice question" in page.text and "Convert into a ticket" in page.text

    assert alice.post(reverse("chat-reply", args=[conversation.pk]), {"body": ""}).status_code == 400
    assert (
        alice.post(reverse("chat-reply", args=[conversation.pk]), {"body": "Which invoice?"}).status_code
        == 302
    )
    bad = alice.post(reverse("chat-convert", args=[conversation.pk]), {"category": "nonsense"})
    assert bad.status_code == 400 and "category: Unknown category" in bad.text
    assert Ticket.objects.count() == 0
    done = alice.post(
        reverse("chat-convert", args=[conversation.pk]),
        {"category": "billing", "priority": "low", "subject": "Invoice F-2026-1187"},
    )
    assert done.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.category, ticket.priority) == ("Invoice F-2026-1187", "billing", "low")
    assert ticket.reference in alice.get(reverse("chat-console", args=[conversation.pk])).text
    assert alice.post(reverse("chat-console-end", args=[conversation.pk])).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.ended_by == world.agent


def test_the_console_queue_lists_waiting_chats_first_in_constant_queries(
    world, clock, django_assert_num_queries
):
    from tests.customers.factories import ContactFactory

    for n in range(6):
        contact = ContactFactory(organisation=world.org if n % 2 else world.other_org).user
        conversation = chat.customer_send(contact, f"line {n}").conversation
        later(clock, minutes=1)
        if n % 3 == 0:
            chat.staff_send(conversation, world.agent, "answered")
    alice = browser(world.agent)
    alice.get(reverse("chat-queue"))  # warm the session
    with django_assert_num_queries(3):  # session, user, the queue
        page = alice.get(reverse("chat-queue"), HTTP_HX_REQUEST="true")
    rows = page.text.split("<tbody>")[1]
    assert rows.count("<strong>waiting</strong>") == 4  # two of the six were answered
    order = list(
        ChatConversation.objects.order_by("-waiting_for_staff", "last_message_at").values_list(
            "pk", flat=True
        )
    )
    positions = [rows.index(f'/console/chat/{pk}/"') for pk in order]
    assert positions == sorted(positions)


def test_admins_read_transcripts_in_the_admin(world, clock):
    conversation = chat.customer_send(world.customer, "Hello from the panel").conversation
    chat.staff_send(conversation, world.agent, "Hello from the console")
    root = world.admin
    root.is_staff = root.is_superuser = True
    root.save()
    admin = browser(root)
    assert "carla" in admin.get("/admin/channels/chatconversation/").text
    page = admin.get(f"/admin/channels/chatconversation/{conversation.pk}/change/")
    assert page.status_code == 200 and "Hello from the console" in page.text


def test_times_are_shown_in_the_viewers_time_zone(world, clock):
    world.customer.time_zone = "Europe/Luxembourg"
    world.customer.save()
    world.agent.time_zone = "America/New_York"
    world.agent.save()
    conversation = chat.customer_send(world.customer, "Hello").conversation  # 10:00 in Luxembourg
    assert (
        '<time datetime="2026-11-30T10:00:00+01:00">10:00</time>'
        in browser(world.customer).get(reverse("chat-panel")).text
    )
    console = browser(world.agent).get(reverse("chat-console", args=[conversation.pk])).text
    assert ">04:00</time>" in console
