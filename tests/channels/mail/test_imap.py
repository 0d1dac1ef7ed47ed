"""IMAP polling against a real IMAP server (Dovecot, see tests/dovecot.py): mail appended to its INBOX is
filed into tickets and flagged \\Seen only once stored."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from imap_tools import MailBoxUnencrypted

from guichet.channels.mail import imap
from guichet.channels.models import DeadLetter, InboundMail, Mailbox
from guichet.jobs.schedule import SCHEDULE
from guichet.tickets.models import Ticket
from tests import dovecot
from tests.helpers import free_port

CORPUS = Path(__file__).parent / "corpus"
Outcome = InboundMail.Outcome


@pytest.fixture
def box(world, dovecot_server, imap_user):
    return Mailbox.objects.create(
        name="Support",
        address="support@guichet.example",
        kind=Mailbox.Kind.IMAP,
        imap_host="127.0.0.1",
        imap_port=dovecot_server.port,
        imap_ssl=False,
        imap_user=imap_user,
        imap_password=dovecot.PASSWORD,
    )


def server_side(box):
    return MailBoxUnencrypted("127.0.0.1", box.imap_port).login(box.imap_user, dovecot.PASSWORD)


def put(box, *names):
    """Deliver corpus mails into the mailbox on the server, as a mail server would."""
    with server_side(box) as server:
        for name in names:
            server.append((CORPUS / name).read_bytes(), "INBOX")


def unseen_subjects(box):
    with server_side(box) as server:
        return sorted(m.subject for m in server.fetch("UNSEEN", mark_seen=False))


def test_mail_in_the_inbox_becomes_tickets_and_is_marked_seen(box):
    put(box, "new_plain_carla.eml", "multipart_alternative_colin.eml", "auto_reply_precedence.eml")
    result = imap.poll(box)
    assert (result.fetched, result.filed, result.dead_letters, result.error) == (3, 3, 0, "")
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Facture erronée F-2026-1187",
        "SIP trunk down at Site B",
    ]
    assert InboundMail.objects.filter(outcome=Outcome.AUTOMATIC).count() == 1
    assert unseen_subjects(box) == []
    box.refresh_from_db()
    assert box.last_polled_at is not None and box.last_poll_error == ""


def test_the_raw_mail_is_stored_as_the_server_sent_it(box):
    put(box, "with_attachments.eml")
    imap.poll(box)
    row = InboundMail.objects.get()
    with row.raw.open("rb") as f:
        stored = f.read()
    original = (CORPUS / "with_attachments.eml").read_bytes()
    assert stored.replace(b"\r\n", b"\n") == original.replace(b"\r\n", b"\n")


def test_polling_again_files_nothing_twice(box):
    put(box, "new_plain_carla.eml")
    imap.poll(box)
    assert imap.poll(box).fetched == 0
    put(box, "new_plain_carla.eml")  # the same mail delivered into the mailbox a second time
    again = imap.poll(box)
    assert (again.fetched, again.filed) == (1, 1)
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1


def test_a_mail_stored_but_not_yet_flagged_is_not_filed_twice(box, monkeypatch):
    """The worker died between storing the mail and flagging it: the next poll fetches it again."""
    put(box, "new_plain_carla.eml")
    with monkeypatch.context() as m:
        m.setattr(imap.MailBoxUnencrypted, "flag", lambda *a, **k: (_ for _ in ()).throw(OSError("cut")))
        assert "cut" in imap.poll(box).error
    assert InboundMail.objects.count() == 1 and unseen_subjects(box) == ["SIP trunk down at Site B"]
    assert imap.poll(box).filed == 1
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1 and unseen_subjects(box) == []


def test_while_the_database_fails_the_mail_stays_unseen_on_the_server(box, monkeypatch):
    put(box, "new_plain_carla.eml", "multipart_alternative_colin.eml")
    stored = []

    def failing_second(raw, mailbox):
        if stored:
            raise OperationalError("database is locked")
        stored.append(receive(raw, mailbox=mailbox))
        return stored[-1]

    receive = imap.receive
    monkeypatch.setattr(imap, "receive", failing_second)
    result = imap.poll(box)
    assert (result.fetched, result.filed) == (2, 1) and result.error == "database: database is locked"
    assert unseen_subjects(box) == ["Facture erronée F-2026-1187"]
    box.refresh_from_db()
    assert box.last_poll_error == "database: database is locked"

    monkeypatch.undo()
    assert imap.poll(box).filed == 1  # the next poll takes it
    assert Ticket.objects.count() == 2 and unseen_subjects(box) == []


def test_an_unreadable_mail_becomes_a_dead_letter_and_is_marked_seen(box):
    put(box, "garbage.eml")
    result = imap.poll(box)
    assert (result.fetched, result.dead_letters) == (1, 1)
    assert DeadLetter.objects.count() == 1 and unseen_subjects(box) == []


def test_a_poll_takes_at_most_a_batch_oldest_first(box):
    put(box, "new_plain_carla.eml", "multipart_alternative_colin.eml", "new_html_only_carla.eml")
    assert imap.poll(box, batch=2).filed == 2
    assert list(InboundMail.objects.order_by("pk").values_list("subject", flat=True)) == [
        "SIP trunk down at Site B",
        "Facture erronée F-2026-1187",
    ]
    assert imap.poll(box, batch=2).filed == 1 and InboundMail.objects.count() == 3


def test_a_wrong_password_is_recorded_not_raised(box):
    box.imap_password = "wrong"
    box.save()
    result = imap.poll(box)
    assert result.fetched == 0 and "MailboxLoginError" in result.error
    box.refresh_from_db()
    assert "MailboxLoginError" in box.last_poll_error


def test_an_unreachable_server_is_recorded_not_raised(box):
    box.imap_port = free_port()
    box.save()
    result = imap.poll(box)
    assert "ConnectionRefusedError" in result.error


def test_the_minutely_job_polls_every_active_imap_mailbox(box, dovecot_server):
    Mailbox.objects.create(name="Inactive", address="old@guichet.example", kind="imap", is_active=False)
    Mailbox.objects.create(name="Delivered", address="smtp@guichet.example", kind="smtp")
    put(box, "new_plain_carla.eml")
    assert "mail-poll" in {job.name for job in SCHEDULE}
    lines = imap.poll_mailboxes.call()
    assert lines == ["Support: 1 fetched, 1 filed, 0 dead letters"]


def test_pollmail_command(box, capsys):
    put(box, "new_plain_carla.eml")
    call_command("pollmail", "--mailbox", "Support")
    assert "Support: 1 fetched, 1 filed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--mailbox: no active IMAP mailbox is named 'Nope'"):
        call_command("pollmail", "--mailbox", "Nope")
    box.imap_password = "wrong"
    box.save()
    with pytest.raises(CommandError, match="1 of 1 mailboxes could not be polled"):
        call_command("pollmail")


def test_mailboxes_are_configured_and_watched_in_the_admin(box, world):
    from django.test import Client

    imap.poll(box)
    root = world.admin
    root.is_staff = root.is_superuser = True
    root.save()
    admin = Client()
    admin.force_login(root)
    listing = admin.get("/admin/channels/mailbox/")
    assert listing.status_code == 200 and "Polled over IMAP" in listing.text
    form = admin.get(f"/admin/channels/mailbox/{box.pk}/change/")
    assert form.status_code == 200 and 'name="imap_host"' in form.text and "Last polled at" in form.text
