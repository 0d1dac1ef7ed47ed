"""Load test of inbound mail: many mails delivered at once to the SMTP receiver, then an exact count.

Run:  .venv/bin/python bench/mail_load.py [--mails 1000] [--clients 16]

It makes a fresh SQLite database in a temporary directory (or uses DATABASE_URL if set), migrates, creates
one organisation with 50 contacts, a mailbox and 200 tickets opened by mail beforehand, starts
``guichet mailserver`` as its own process, and delivers the mails from ``--clients`` concurrent SMTP
connections: replies to the existing tickets (a fifth), automatic replies (a twentieth), redeliveries of
mails of the same batch by Message-ID (a tenth), the rest new requests. Then it checks that exactly the
expected tickets, messages and inbound rows exist — 0 lost, 0 duplicated — and that nothing is queued for
the automatic mails (no answer to an auto-reply), and prints the mails per second.

``make_batch`` and ``check`` are also used by the test suite, in a reduced form (tests/channels/mail).
"""

from __future__ import annotations

import argparse
import os
import random
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchkit import free_port  # noqa: E402 - bench/ is first on sys.path

MAILBOX = "support@guichet.example"
CONTACTS = 50
EXISTING = 200


@dataclass
class Batch:
    mails: list[tuple[str, bytes]] = field(default_factory=list)  # (sender, raw)
    new: int = 0
    replies: int = 0
    automatic: int = 0
    duplicates: int = 0
    retries: int = 0  # temporary failures (4xx) the senders retried


def contact(i: int) -> str:
    return f"contact{i % CONTACTS}@load.example"


def mail(sender: str, message_id: str, subject: str, body: str, headers: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: {MAILBOX}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        f"Date: Mon, 30 Nov 2026 10:00:00 +0100\r\n{headers}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def existing_mails(n: int = EXISTING) -> list[bytes]:
    """The mails that opened the tickets the batch replies to (delivered before the timed run)."""
    return [
        mail(contact(i), f"existing.{i}@load.example", f"Existing problem {i}", f"Problem number {i}.")
        for i in range(n)
    ]


def make_batch(total: int, seed: int = 2026, existing: int = EXISTING) -> Batch:
    rng = random.Random(seed)
    b = Batch()
    n_replies, n_auto, n_dup = total // 5, total // 20, total // 10
    n_new = total - n_replies - n_auto - n_dup
    originals = []
    for i in range(n_new):
        raw = mail(
            contact(i), f"new.{i}@load.example", f"Request {i}: line {rng.randint(1, 99)} down", "Help!"
        )
        originals.append((contact(i), raw))
    b.mails += originals
    for _ in range(n_dup):  # redeliveries of mails of this batch, sent alongside their originals
        b.mails.append(rng.choice(originals))
    for i in range(n_replies):
        t = rng.randrange(existing)
        b.mails.append(
            (
                contact(t),
                mail(
                    contact(t),
                    f"reply.{i}@load.example",
                    f"Re: Existing problem {t}",
                    f"Still broken ({i}).",
                    f"In-Reply-To: <existing.{t}@load.example>\r\n",
                ),
            )
        )
    for i in range(n_auto):
        t = rng.randrange(existing)
        b.mails.append(
            (
                contact(t),
                mail(
                    contact(t),
                    f"auto.{i}@load.example",
                    "Out of office",
                    "I am away.",
                    f"Auto-Submitted: auto-replied\r\nIn-Reply-To: <existing.{t}@load.example>\r\n",
                ),
            )
        )
    rng.shuffle(b.mails)
    b.new, b.replies, b.automatic, b.duplicates = n_new, n_replies, n_auto, n_dup
    return b


def setup_world(existing: int = EXISTING) -> None:
    """One organisation on the office plan, its contacts, the mailbox, and the existing tickets."""
    from guichet.channels.mail.services import receive
    from guichet.channels.models import Mailbox
    from guichet.customers.models import Contact, Organisation, User
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan

    load_plans()
    org = Organisation.objects.create(name="Load Co", slug="load-co")
    OrganisationPlan.objects.create(organisation=org, plan=SlaPlan.objects.get(code="office"))
    for i in range(CONTACTS):
        user = User.objects.create(username=contact(i), email=contact(i), kind=User.Kind.CUSTOMER)
        Contact.objects.create(user=user, organisation=org, roles=["technical"])
    # Each contact opens a dozen tickets in the batch: not a flood to hold, here.
    box = Mailbox.objects.create(name="Support", address=MAILBOX, new_tickets_per_hour=10_000)
    for raw in existing_mails(existing):
        receive(raw, mailbox=box)


def deliver(port: int, batch: Batch, clients: int) -> tuple[float, list[str]]:
    """Send every mail of the batch over ``clients`` concurrent SMTP connections; (seconds, errors). A
    temporary failure (4xx) is retried after a pause, as a sending mail server does; ``retries`` counts
    them."""
    queue = list(batch.mails)
    lock = threading.Lock()
    errors: list[str] = []
    batch.retries = 0

    def client() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            while True:
                with lock:
                    if not queue:
                        return
                    sender, raw = queue.pop()
                for attempt in range(1, 21):
                    try:
                        smtp.sendmail(sender, [MAILBOX], raw)
                        break
                    except smtplib.SMTPResponseException as exc:
                        if 400 <= exc.smtp_code < 500 and attempt < 20:
                            with lock:
                                batch.retries += 1
                            time.sleep(0.05 * attempt)
                            continue
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                        break

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, errors


def check(batch: Batch, existing: int = EXISTING) -> dict[str, tuple[int, int]]:
    """{what: (expected, found)} after a batch; equal pairs mean nothing lost and nothing duplicated."""
    from django_tasks_db.models import DBTaskResult

    from guichet.channels.models import InboundMail
    from guichet.tickets.models import Ticket, TicketMessage

    Outcome = InboundMail.Outcome
    mails = InboundMail.objects
    auto_ids = list(mails.filter(outcome=Outcome.AUTOMATIC).values_list("pk", flat=True))
    return {
        "tickets": (existing + batch.new, Ticket.objects.count()),
        "messages": (existing + batch.new + batch.replies, TicketMessage.objects.count()),
        "inbound mails stored": (existing + batch.new + batch.replies + batch.automatic, mails.count()),
        "opened a ticket": (existing + batch.new, mails.filter(outcome=Outcome.OPENED).count()),
        "added to a ticket": (batch.replies, mails.filter(outcome=Outcome.APPENDED).count()),
        "automatic, ignored": (batch.automatic, len(auto_ids)),
        # Only the acknowledgements of new tickets are queued: nothing answers an automatic mail.
        "mails queued to customers": (
            existing + batch.new,
            DBTaskResult.objects.filter(task_path__endswith="send_ticket_mail").count(),
        ),
        "refusals queued": (0, DBTaskResult.objects.filter(task_path__endswith="send_refusal").count()),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mails", type=int, default=1000)
    p.add_argument("--clients", type=int, default=16)
    args = p.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="guichet-mail-bench-"))
    env = dict(os.environ, DEBUG="1", GUICHET_VAR_DIR=str(workdir / "var"))
    env["DJANGO_SETTINGS_MODULE"] = "guichet.settings"
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'guichet.sqlite3'}")
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    setup_world()
    took = time.perf_counter() - t0
    print(f"setup: {EXISTING} tickets opened by mail in {took:.1f} s ({connection.vendor})")
    connection.close()
    batch = make_batch(args.mails)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "mailserver", "--port", str(port)], env=env, cwd=ROOT
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        seconds, errors = deliver(port, batch, args.clients)
    finally:
        server.terminate()
        server.wait(30)
    print(
        f"delivered {len(batch.mails):,} mails ({batch.new} new, {batch.duplicates} redelivered, "
        f"{batch.replies} replies, {batch.automatic} automatic) from {args.clients} connections in "
        f"{seconds:.1f} s = {len(batch.mails) / seconds:.0f} mails/s; retried after a 4xx: {batch.retries}; "
        f"SMTP errors: {len(errors)}"
    )
    for e in errors[:5]:
        print("   ", e)
    ok = not errors
    for what, (expected, found) in check(batch).items():
        mark = "ok" if expected == found else "MISMATCH"
        ok &= expected == found
        print(f"  {what:<28} expected {expected:>5}  found {found:>5}  {mark}")
    print("RESULT:", "0 lost, 0 duplicated, 0 answers to automatic mail" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
