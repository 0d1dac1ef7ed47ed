"""The data set bench/pages.py and bench/search.py measure, loaded once per database.

``prepare(args, result)`` writes, in the child process of either script (Django set up, migrated):

1. bench/tickets.py's tickets (``--tickets``, a tenth open, 20 organisations on the Office plan, 6 teams),
   their first message and clocks, with its ``bulk_create`` loader;
2. the search index over all of them (``tickets.search.rebuild``, what ``guichet search_rebuild`` runs;
   timed), then, through the services (so through the index update of every reply), a public reply with a
   rare word on 10 open tickets of the first organisation and an internal note with another on 10 more;
3. for the pages: 50 subscriptions with a fee per organisation, an outage on one in ten this month, last
   month's billing run (one invoice per organisation), 20 filed claims, 20 back-office requests, a chat,
   20 pages of a rota, 20 mails in triage; then ANALYZE (and VACUUM on PostgreSQL).

With ``--keep DIR`` (benchkit.run_child) the database outlives the run and a later run of either script
finds the marker ``dataset.json`` beside it and measures the same data without loading it again (a
1,000,000-ticket load takes 15 to 50 minutes on 2 CPUs). A later ``migrate`` still runs first, so a new
migration is measured on the data already there, and ANALYZE after it (the planners' statistics of its
indexes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from decimal import Decimal
from pathlib import Path

RARE_REPLY, RARE_NOTE = "kangourou", "ornithorynque"
MARKER = "dataset.json"


def parse_args(description: str, argv, *, db: str, reps: int):
    """The arguments of a script that measures this data set (bench/pages.py, bench/search.py)."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--open", type=int, default=None, help="of which open (default a tenth)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default=db)
    p.add_argument("--reps", type=int, default=reps)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep", help="keep the loaded databases in DIR and reuse them")
    p.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.open is None:
        args.open = args.tickets // 10
    return args


def child_args(args) -> list[str]:
    """What the parent passes on to its child process (``--child`` and ``--result`` aside)."""
    return [
        *("--tickets", str(args.tickets), "--open", str(args.open)),
        *("--reps", str(args.reps), "--seed", str(args.seed)),
    ]


def say(*args) -> None:
    print(*args, flush=True)


def _marker() -> Path | None:
    kept = os.environ.get("GUICHET_BENCH_KEPT")
    return Path(kept) / MARKER if kept else None


def prepare(args, result: dict):
    """Load the data set unless the kept database already holds it; returns bench/tickets.py's World."""
    import tickets as ticket_bench  # bench/tickets.py: its data set and loader

    world = ticket_bench.World.make()
    marker = _marker()
    if marker is not None and marker.exists():
        loaded = json.loads(marker.read_text())
        if loaded["tickets"] != args.tickets:
            raise SystemExit(
                f"the kept database holds {loaded['tickets']:,} tickets, not {args.tickets:,}: "
                "give --tickets as loaded, or another --keep directory"
            )
        result.update(loaded)
        say(f"reusing the kept data set: {args.tickets:,} tickets, loaded on {loaded['loaded_on']}")
        ticket_bench.analyze()  # the statistics of indexes a later migration added
        return world
    t0 = time.perf_counter()
    ticket_bench.Loader(world, args.tickets, args.open, args.seed, result).run()
    result["tickets_load_seconds"] = round(time.perf_counter() - t0, 1)
    say(f"loaded {args.tickets:,} tickets in {result['tickets_load_seconds']} s")
    _index(args, result)
    _rare_words(world, result)
    t1 = time.perf_counter()
    _for_the_pages(world, args.seed)
    say(f"loaded the contracts, invoices, claims and requests in {time.perf_counter() - t1:.0f} s")
    ticket_bench.analyze()
    loaded = {
        key: result[key]
        for key in ("tickets_load_seconds", "index_seconds", "index_mb", "reply_ms")
        if key in result
    }
    loaded.update(tickets=args.tickets, open=args.open, loaded_on=dt.date.today().isoformat())
    if marker is not None:
        marker.write_text(json.dumps(loaded, indent=1))
    result.update(loaded)
    return world


def _index(args, result: dict) -> None:
    from django.db import connection

    from guichet.tickets import search

    t1 = time.perf_counter()
    next_report = [t1 + 30]

    def progress(done: int) -> None:
        if time.perf_counter() > next_report[0]:
            say(f"   ... indexed up to {done:,} ids ({time.perf_counter() - t1:.0f} s)")
            next_report[0] = time.perf_counter() + 30

    search.rebuild(progress=progress)
    result["index_seconds"] = round(time.perf_counter() - t1, 1)
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'tickets_search%'")
        else:
            cur.execute("SELECT pg_total_relation_size('tickets_search')")
        size = cur.fetchone()[0]
    result["index_mb"] = round((size or 0) / 1e6)
    say(f"indexed {args.tickets:,} tickets in {result['index_seconds']} s ({result['index_mb']:,} MB)")


def _rare_words(world, result: dict) -> None:
    """Through the services: each reply and note updates the index in its transaction."""
    from guichet.audit.models import Door
    from guichet.customers.models import User
    from guichet.tickets import services
    from guichet.tickets.models import Ticket, TicketMessage

    org0 = world.orgs[0]
    contact = User.objects.get(pk=world.contacts[org0.pk][0])
    picked = list(
        TicketMessage.objects.filter(ticket__organisation=org0, ticket__status="open")
        .order_by("-ticket_id")
        .values_list("ticket_id", flat=True)[:20]
    )
    t2 = time.perf_counter()
    for i, pk in enumerate(picked):
        ticket = Ticket.objects.get(pk=pk)
        if i < 10:
            services.ticket_reply(
                actor=contact, door=Door.API, ticket=ticket, body=f"Le {RARE_REPLY} a encore mordu le câble"
            )
        else:
            services.ticket_reply(
                actor=world.supervisor,
                door=Door.API,
                ticket=ticket,
                body=f"Note: l'{RARE_NOTE} du client",
                internal=True,
            )
    result["reply_ms"] = round((time.perf_counter() - t2) / max(len(picked), 1) * 1000, 1)
    say(f"{len(picked)} replies and notes through the services: {result['reply_ms']} ms each")


def _for_the_pages(world, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guichet.availability.models import Outage
    from guichet.billing.invoicing import billing_run
    from guichet.billing.models import Claim
    from guichet.channels import chat
    from guichet.channels.mail.services import receive
    from guichet.channels.models import OnCallRota, Page
    from guichet.contracts.models import FeeChange, Service, Subscription
    from guichet.customers.models import BackOfficeRequest, Team, User
    from guichet.tickets.models import Ticket

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    last_month = first_of_month - dt.timedelta(days=1)
    service = Service.objects.create(code="sip-trunk", name="SIP trunk")
    robot = User.objects.get(username="bench-manager")
    with transaction.atomic():
        subs = Subscription.objects.bulk_create(
            [
                Subscription(
                    organisation=org,
                    service=service,
                    identifier=f"+352 20 {o:02d} {i:04d}",
                    monthly_fee=Decimal(rng.choice(["25.00", "100.00", "250.00"])),
                    plan=world.plan,
                    start_date=dt.date(2025, 1, 1),
                    status="active",
                )
                for o, org in enumerate(world.orgs)
                for i in range(50)
            ]
        )
        FeeChange.objects.bulk_create(
            [
                FeeChange(
                    subscription=s,
                    effective_on=s.start_date,
                    monthly_fee=s.monthly_fee,
                    changed_by=robot,
                    changed_at=now,
                )
                for s in subs
            ]
        )
        for s in subs[::10]:
            start = dt.datetime.combine(first_of_month, dt.time(9), dt.UTC) + dt.timedelta(
                hours=rng.randrange(48)
            )
            outage = Outage.objects.create(
                title="Down", started_at=start, ended_at=start + dt.timedelta(hours=2)
            )
            outage.subscriptions.add(s)
    billing_run(last_month.year, last_month.month)
    contact = User.objects.get(pk=world.contacts[world.orgs[0].pk][0])
    org0 = world.orgs[0]
    ticket = Ticket.objects.filter(organisation=org0).order_by("-opened_at").first()
    mine = [s for s in subs if s.organisation_id == org0.pk]
    for i in range(20):
        Claim.objects.create(
            organisation=org0,
            subscription=mine[i],
            ticket=ticket,
            year=last_month.year,
            month=last_month.month,
            customer_name="Customer 00",
            customer_contact="c@example.com",
            outage_start=now - dt.timedelta(days=20),
            outage_end=now - dt.timedelta(days=20, hours=-2),
            description="No calls",
            filed_by=contact,
            filed_at=now,
            door="web",
            verified_seconds=7200,
            proposed_amount=Decimal("40.00"),
            currency="EUR",
            computation="bench",
        )
        BackOfficeRequest.objects.create(
            organisation=org0,
            kind="contact",
            summary=f"Contact change {i}",
            requested_by=contact,
            requested_at=now,
            door="web",
            due_at=now + dt.timedelta(days=1),
        )
    contact.time_zone = "Europe/Luxembourg"
    contact.save()
    contact.contact.roles = ["admin", "technical"]  # the invoice pages are for admin and billing contacts
    contact.contact.save(update_fields=["roles"])
    chat.customer_send(contact, "Hello, our trunk is down")
    contact.contact.phone = "+352 621 000 001"  # the caller of the call page
    contact.contact.save()
    rota = OnCallRota.objects.get_or_create(team=Team.objects.order_by("pk").first())[0]
    for i in range(20):
        Page.objects.create(ticket=ticket, rota=rota, reason=f"Emergency {i}", created_at=now)
    for i in range(20):  # unknown senders: in triage for an agent
        receive(
            f"From: <someone{i}@unknown.example>\r\nSubject: Call me {i}\r\nMessage-ID: <bench.{i}@x>\r\n"
            f"\r\nPlease call me back.\r\n".encode()
        )


def session_for(user, secret_key: str) -> str:
    """A logged-in session of ``user`` in the database (the web pages' cookie ``sessionid``), made without
    the login form, signed with the ``secret_key`` of the server that will read it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import override_settings

    with override_settings(SECRET_KEY=secret_key):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
    return store.session_key
