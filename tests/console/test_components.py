"""The style sheet's components as the pages use them: flash messages say their kind to assistive
technology, the console's pages are marked as such (and only they widen), the queue's subjects carry their
whole text."""

from tests.helpers import open_incident, signed_in


def test_flash_messages_are_status_or_alert_by_their_kind(world):
    ticket = open_incident(world)
    sue = signed_in(world.supervisor)
    url = f"/console/tickets/{ticket.reference}/"
    refused = sue.post(f"{url}merge", {"into": "GT-1999-000001"}, follow=True).text
    assert 'class="notice error" role="alert"' in refused
    done = sue.post(f"{url}reply", {"body": "On it.", "internal": "0"}, follow=True).text
    assert 'class="notice success" role="status"' in done


def test_only_staff_pages_are_console_pages(world):
    ticket = open_incident(world)
    assert '<body class="console"' in signed_in(world.supervisor).get("/console/").text
    extranet = signed_in(world.customer).get(f"/extranet/tickets/{ticket.reference}/").text
    assert '<body class=""' in extranet


def test_queue_subjects_keep_their_whole_text_in_their_title(world):
    long = "A subject long enough to be cut on one line of the queue " * 3
    ticket = open_incident(world)
    ticket.subject = long.strip()
    ticket.save(update_fields=["subject"])
    page = signed_in(world.supervisor).get("/console/").text
    assert f'<span class="one-line" title="{long.strip()}">' in page
