"""A contact its organisation deactivated hears no more of its tickets: no mail, no WhatsApp reply, and it
cannot be made a watcher (it would get both)."""

import pytest
from django.core.exceptions import ValidationError

from guichet.channels.mail.outbound import recipients
from guichet.channels.whatsapp import send_reply
from guichet.customers import services as customers
from guichet.tickets import services as tickets
from guichet.tickets.models import Channel


@pytest.fixture
def ticket(world):
    colin = world.colleague.contact
    colin.phone = "+352 621 123 456"
    colin.save()
    ticket = tickets.ticket_create(
        actor=world.colleague,
        door="api",
        organisation=world.org,
        requester=world.colleague,
        subject="Router down",
        description="No answer",
    )
    tickets.ticket_watch(actor=world.customer, door="api", ticket=ticket, user=world.customer)
    return ticket


def _deactivate(world, user):
    customers.contact_update(actor=world.customer, door="web", contact=user.contact, is_active=False)
    user.refresh_from_db()


def test_a_deactivated_requester_or_watcher_gets_no_more_mail(world, ticket):
    assert {u.pk for u in recipients(ticket)} == {world.colleague.pk, world.customer.pk}
    _deactivate(world, world.colleague)
    assert [u.pk for u in recipients(ticket)] == [world.customer.pk]


def test_a_deactivated_contact_cannot_be_made_a_watcher(world, ticket):
    _deactivate(world, world.colleague)
    other = tickets.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Fax",
        description="?",
    )
    with pytest.raises(ValidationError) as refused:
        tickets.ticket_watch(actor=world.customer, door="api", ticket=other, user=world.colleague)
    assert set(refused.value.message_dict) == {"user_id"}
    assert not other.watchers.filter(pk=world.colleague.pk).exists()


def test_a_staff_reply_is_not_sent_by_whatsapp_to_a_deactivated_requester(world, ticket, settings):
    settings.WHATSAPP_API_URL = "http://127.0.0.1:9"  # nothing listens: a send would fail the test
    ticket.channel = Channel.WHATSAPP
    ticket.save(update_fields=["channel"])
    message = tickets.ticket_reply(actor=world.agent, door="api", ticket=ticket, body="On it")
    _deactivate(world, world.colleague)
    assert send_reply.call(message.pk) == ""
