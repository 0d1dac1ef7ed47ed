"""Benchmark: every page of the extranet and the console, with the bench data set loaded.

Run:  .venv/bin/python bench/pages.py [--tickets N] [--open N] [--db sqlite|postgres|both] [--reps N]

For each database the script makes a fresh one (as bench/tickets.py does) and, in a child process:

1. loads bench/tickets.py's data set (default 1,000,000 tickets, a tenth open, 20 organisations on the
   Office plan, 6 teams) with its loader, then, for those organisations, 50 subscriptions each with a fee,
   an outage on one in ten this month, last month's billing run (one invoice per organisation, 50 lines),
   20 filed claims, 20 back-office requests, a chat, 20 pages of a rota, 20 mails in triage;
2. times each page ``--reps`` times (after one warm-up request) through Django's whole stack (middleware,
   session, views, templates) with the test client — in process, not over HTTP — as the person who uses it:
   a contact of the first organisation for the extranet, the supervisor for the console; prints p50, p95
   and the slowest, against the 300 ms target (issue 6). The dashboard reads the compliance figures of the
   hourly ``sla-stats`` job, which runs once first (its time is printed: it is background work).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchkit import database_server, machine, run_databases  # noqa: E402 - bench/ is first on sys.path

TARGET_MS = 300.0


def say(*args) -> None:
    print(*args, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--open", type=int, default=None, help="of which open (default a tenth)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.open is None:
        args.open = args.tickets // 10
    return args


def child_args(args) -> list[str]:
    return [
        "--tickets",
        str(args.tickets),
        "--open",
        str(args.open),
        "--reps",
        str(args.reps),
        "--seed",
        str(args.seed),
    ]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    say(machine())
    say(f"== {args.tickets:,} tickets ({args.open:,} open), {args.reps} requests per page")
    results = run_databases(args.db, Path(__file__).resolve(), child_args(args), "guichet-bench-pages")
    for db, r in results.items():
        if "error" in r:
            say(f"{db}: ERROR {r['error']}")
            continue
        slowest = max(r["pages"], key=lambda row: row["p95"])
        over = [row["page"] for row in r["pages"] if row["p95"] >= TARGET_MS]
        say(
            f"{db} ({r['server']}): {len(r['pages'])} pages, slowest p95 {slowest['p95']:.1f} ms "
            f"({slowest['page']}); target < {TARGET_MS:.0f} ms: "
            + ("met" if not over else "NOT met: " + ", ".join(over))
        )
    return 1 if any("error" in r for r in results.values()) else 0


# --------------------------------------------------------------------------------------------- child


def child_main(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host name
    result: dict = {"db": args.child}
    try:
        call_command("migrate", verbosity=0)
        result["server"] = database_server(connection)
        say(f"== {result['server']}")
        world, urls = load(args, result)
        result["pages"] = measure(world, urls, args.reps)
    finally:
        if args.result:
            Path(args.result).write_text(json.dumps(result, indent=1, default=str))
    return 0


def load(args, result: dict):
    import tickets as ticket_bench  # bench/tickets.py: its data set and loader
    from django.db import transaction
    from django.utils import timezone

    from guichet import provider
    from guichet.availability.models import Outage
    from guichet.billing.invoicing import billing_run
    from guichet.billing.models import Claim
    from guichet.channels import chat
    from guichet.channels.mail.services import receive
    from guichet.channels.models import InboundMail, OnCallRota, Page
    from guichet.contracts.models import FeeChange, Service, Subscription
    from guichet.customers.models import BackOfficeRequest, Team, User
    from guichet.tickets.models import Ticket

    t0 = time.perf_counter()
    world = ticket_bench.World.make()
    ticket_bench.Loader(world, args.tickets, args.open, args.seed, result).run()
    ticket_bench.analyze()
    result["tickets_load_seconds"] = round(time.perf_counter() - t0, 1)
    say(f"loaded {args.tickets:,} tickets in {result['tickets_load_seconds']} s")

    rng = random.Random(args.seed)
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
    conversation = chat.customer_send(contact, "Hello, our trunk is down").conversation
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
    outage = Outage.objects.order_by("-started_at").first()
    invoice = org0.invoices.first()
    claim = Claim.objects.filter(organisation=org0).first()
    extranet = [
        "/extranet/",
        "/extranet/tickets/",
        "/extranet/tickets/new",
        f"/extranet/tickets/{ticket.reference}/",
        "/extranet/services/",
        f"/extranet/services/{mine[0].pk}/",
        f"/extranet/services/{mine[0].pk}/terminate",
        "/extranet/invoices/",
        f"/extranet/invoices/{invoice.pk}/",
        "/extranet/claims/",
        "/extranet/claims/new",
        "/extranet/contacts/",
        "/extranet/activity/",
        "/extranet/chat/",
    ]
    team = Team.objects.order_by("pk").first()
    console = [
        "/console/",
        "/console/?priority=urgent",
        f"/console/tickets/{ticket.reference}/",
        "/console/claims/",
        f"/console/claims/{claim.pk}/",
        "/console/dashboard/",  # this month: SLA compliance from the hourly rows
        "/console/dashboard/?period=last_month",
        "/console/dashboard/?period=30d",  # not whole months: every figure counted live
        f"/console/dashboard/?organisation={org0.pk}",  # narrowed: counted live
        f"/console/dashboard/?team={team.pk}&sort=-breached",
        # a drill-down: last month's tickets whose first response was late
        "/console/?status=all&clock=first_response&clock_state=breached&opened_from="
        + quote(provider.month(last_month.year, last_month.month)[0].isoformat())
        + "&opened_before="
        + quote(provider.month(last_month.year, last_month.month)[1].isoformat()),
        "/console/backoffice/",
        "/console/chat/",
        f"/console/chat/{conversation.pk}/",
        "/console/calls/?number=%2B352621000001",
        "/console/outages/",
        f"/console/outages/{outage.pk}/",
        "/console/oncall/",
        "/console/mail/",
        f"/console/mail/{InboundMail.objects.order_by('pk').first().pk}/",
        "/console/dead-letters/",
    ]
    say(f"loaded the contracts, invoices, claims and requests in {time.perf_counter() - t0:.0f} s in all")
    from guichet.tickets.stats import recompute

    t1 = time.perf_counter()
    rows = recompute()  # what the hourly sla-stats job does, in the background, for the dashboard
    result["sla_stats_seconds"] = round(time.perf_counter() - t1, 2)
    say(f"sla-stats job (background, hourly): {rows} rows in {result['sla_stats_seconds']} s")
    return world, [(contact, extranet), (world.supervisor, console)]


def measure(world, urls, reps: int) -> list[dict]:
    from django.test import Client

    rows = []
    for user, paths in urls:
        client = Client()
        client.force_login(user)
        for path in paths:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            row = {
                "page": path,
                "p50": statistics.median(times),
                "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                "max": times[-1],
            }
            rows.append(row)
            flag = "" if row["p95"] < TARGET_MS else "  <-- over the target"
            figures = f"p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  max {row['max']:7.1f} ms"
            say(f"{path:45} {figures}{flag}")
    return rows


if __name__ == "__main__":
    sys.exit(main())
