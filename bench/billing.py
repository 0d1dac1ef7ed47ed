"""Benchmark: a monthly billing run for 10,000 subscriptions, with outages and approved claims.

Run:  .venv/bin/python bench/billing.py [--subscriptions N] [--per-org N] [--claims SHARE]
                                        [--db sqlite|postgres|both]

For each database the script makes a fresh one (SQLite: a file in a temporary directory; PostgreSQL: a private
cluster, as bench/tickets.py does) and runs in a child process of itself:

1. ``migrate``, the demo plans; N subscriptions (default 10,000) in organisations of ``--per-org`` (5) on the
   Office plan, written with ``bulk_create`` with their first fee; a fee change mid-month on a tenth of them,
   subscriptions that start or end mid-month;
2. for a share of the subscriptions (default 5 %): an incident ticket, a recorded outage, a claim filed
   through the service in the first days of the next month and approved by an account manager (so the run
   has real credits to apply, as negative lines);
3. the billing run of that month (``guichet.billing.invoicing.billing_run``): wall time, then peak RSS of
   the process; the same run again (it must bill nothing); checks: one invoice per organisation, one line per
   charge and per credit used, numbers 1..N without a gap;
4. the next month's run under ``tracemalloc``, for the peak of Python allocations during a run.

Target (issue 5): under 10 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchkit import database_server, machine, run_databases  # noqa: E402 - bench/ is first on sys.path

YEAR, MONTH = 2026, 9  # the month billed (then October, under tracemalloc): both have ended by now
BATCH = 2_000


def say(*args) -> None:
    print(*args, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subscriptions", type=int, default=10_000)
    p.add_argument("--per-org", type=int, default=5)
    p.add_argument("--claims", type=float, default=0.05, help="share of subscriptions with an approved claim")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def child_args(args) -> list[str]:
    return [
        "--subscriptions",
        str(args.subscriptions),
        "--per-org",
        str(args.per_org),
        "--claims",
        str(args.claims),
        "--seed",
        str(args.seed),
    ]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    say(machine())
    say(
        f"== {args.subscriptions:,} subscriptions, {args.per_org} per organisation, {args.claims:.0%} claimed"
    )
    results = run_databases(args.db, Path(__file__).resolve(), child_args(args), "guichet-bench-billing")
    for db, r in results.items():
        if "error" in r:
            say(f"{db}: ERROR {r['error']}")
            continue
        say(
            f"{db} ({r['server']}): run {r['run_seconds']:.2f} s for {r['invoices']:,} invoices / "
            f"{r['lines']:,} lines ({r['credit_lines']} credit lines); re-run {r['rerun_seconds']:.2f} s "
            f"(issued {r['rerun_issued']}); peak RSS {r['peak_rss_mb']:.0f} MB; Python allocations peak "
            f"{r['tracemalloc_peak_mb']:.1f} MB; target < 10 s: "
            f"{'met' if r['run_seconds'] < 10 else 'NOT met'}"
        )
    return 1 if any("error" in r for r in results.values()) else 0


# --------------------------------------------------------------------------------------------- child


def child_main(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # no query log in this process
    result: dict = {"db": args.child}
    try:
        call_command("migrate", verbosity=0)
        result["server"] = database_server(connection)
        say(f"== {result['server']}")
        load(args, result)
        measure(result)
    finally:
        if args.result:
            Path(args.result).write_text(json.dumps(result, indent=1, default=str))
    return 0


def load(args, result: dict) -> None:
    import time_machine
    from django.db import transaction

    from guichet.availability.models import Outage
    from guichet.billing.claims import claim_decide, claim_file
    from guichet.contracts.models import FeeChange, Service, Subscription
    from guichet.customers.models import Contact, Organisation, User
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan
    from guichet.tickets.services import ticket_create

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    load_plans()
    office = SlaPlan.objects.get(code="office")
    robot = User.objects.create(username="billing-robot", kind=User.Kind.BILLING)
    manager = User.objects.create(username="max", kind=User.Kind.ACCOUNT_MANAGER)
    service = Service.objects.create(code="sip-trunk", name="SIP trunk")
    n_orgs = -(-args.subscriptions // args.per_org)
    with transaction.atomic():
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(name=f"Client {i}", slug=f"client-{i}", account_manager=manager)
                for i in range(n_orgs)
            ],
            batch_size=BATCH,
        )
        OrganisationPlan.objects.bulk_create([OrganisationPlan(organisation=o, plan=office) for o in orgs])
        users = User.objects.bulk_create(
            [
                User(username=f"contact-{i}", email=f"c{i}@example.com", kind="customer")
                for i in range(n_orgs)
            ],
            batch_size=BATCH,
        )
        Contact.objects.bulk_create(
            [
                Contact(user=u, organisation=o, roles=["admin", "billing"])
                for u, o in zip(users, orgs, strict=True)
            ],
            batch_size=BATCH,
        )
        subs = []
        for i in range(args.subscriptions):
            start = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(600))
            end = None
            if rng.random() < 0.02:
                end = dt.date(YEAR, MONTH, rng.randrange(1, 31))
            subs.append(
                Subscription(
                    organisation=orgs[i // args.per_org],
                    service=service,
                    identifier=f"+352 20 {i:06d}",
                    monthly_fee=Decimal(rng.choice(["25.00", "49.90", "100.00", "250.00", "1000.00"])),
                    plan=office,
                    start_date=start,
                    end_date=end,
                    status="terminated" if end else "active",
                )
            )
        subs = Subscription.objects.bulk_create(subs, batch_size=BATCH)
        now = dt.datetime.now(dt.UTC)
        fees = [
            FeeChange(
                subscription=s,
                effective_on=s.start_date,
                monthly_fee=s.monthly_fee,
                changed_by=robot,
                changed_at=now,
            )
            for s in subs
        ]
        fees += [
            FeeChange(
                subscription=s,
                effective_on=dt.date(YEAR, MONTH, 16),
                monthly_fee=s.monthly_fee * 2,
                changed_by=robot,
                changed_at=now,
            )
            for s in subs
            if rng.random() < 0.10 and s.start_date < dt.date(YEAR, MONTH, 16)
        ]
        FeeChange.objects.bulk_create(fees, batch_size=BATCH)
    result["load_seconds"] = round(time.perf_counter() - t0, 1)
    say(
        f"loaded {len(orgs):,} organisations, {len(subs):,} subscriptions, {len(fees):,} fees "
        f"in {result['load_seconds']} s"
    )

    t0 = time.perf_counter()
    tz = dt.timezone(dt.timedelta(hours=2))
    claimed = [s for s in subs if s.status == "active" and s.start_date < dt.date(YEAR, MONTH, 1)]
    claimed = rng.sample(claimed, int(len(subs) * args.claims))
    contacts = {c.organisation_id: c.user for c in Contact.objects.select_related("user")}
    for s in claimed:
        day = rng.randrange(1, 28)
        start = dt.datetime(YEAR, MONTH, day, 9, tzinfo=tz)
        hours = rng.choice([1, 2, 3, 8])  # 8 h on a 100 % fee is past the 50 % cap
        with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
            ticket = ticket_create(
                actor=contacts[s.organisation_id],
                door="api",
                organisation=s.organisation,
                requester=contacts[s.organisation_id],
                subject="Trunk down",
                description="No calls",
                category="incident",
            )
        outage = Outage.objects.create(
            title="Down", started_at=start, ended_at=start + dt.timedelta(hours=hours)
        )
        outage.subscriptions.add(s)
        with time_machine.travel(dt.datetime(YEAR, MONTH + 1, 3, 10, tzinfo=tz), tick=False):
            claim = claim_file(
                actor=contacts[s.organisation_id],
                door="api",
                subscription=s,
                customer_name="Client",
                customer_contact="c@example.com",
                outage_start=start,
                outage_end=start + dt.timedelta(hours=hours),
                ticket=ticket.reference,
                description="No calls",
            )
            claim_decide(actor=manager, door="api", claim=claim, decision="approve")
    result["claims"] = len(claimed)
    result["claims_seconds"] = round(time.perf_counter() - t0, 1)
    say(f"filed and approved {len(claimed)} claims in {result['claims_seconds']} s")


def measure(result: dict) -> None:
    from guichet.billing.invoicing import billing_run
    from guichet.billing.models import Credit, Invoice, InvoiceLine
    from guichet.customers.models import Organisation

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    counts = billing_run(YEAR, MONTH)
    result["run_seconds"] = time.perf_counter() - t0
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    result["counts"] = counts
    say(f"billing run {YEAR}-{MONTH:02d}: {counts} in {result['run_seconds']:.2f} s")

    t0 = time.perf_counter()
    again = billing_run(YEAR, MONTH)
    result["rerun_seconds"] = time.perf_counter() - t0
    result["rerun_issued"] = again["issued"]

    invoices = Invoice.objects.filter(year=YEAR, month=MONTH)
    result["invoices"] = invoices.count()
    result["lines"] = InvoiceLine.objects.filter(invoice__in=invoices).count()
    result["credit_lines"] = InvoiceLine.objects.filter(invoice__in=invoices, credit__isnull=False).count()
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1)), "a gap or a double in the invoice numbers"
    assert result["invoices"] == Organisation.objects.count(), "not one invoice per organisation"
    assert again["issued"] == 0, "the second run billed something"
    carried = sum((c.remaining for c in Credit.objects.all()), Decimal(0)).quantize(Decimal("0.01"))
    result["credits_carried_over"] = str(carried)
    say(
        f"checks passed: {result['invoices']:,} invoices numbered without gaps, {result['lines']:,} lines, "
        f"{result['credit_lines']} credit lines, {carried} EUR carried over; re-run "
        f"{result['rerun_seconds']:.2f} s"
    )

    tracemalloc.start()
    following = billing_run(YEAR, MONTH + 1)
    result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    say(f"next month under tracemalloc: {following}, peak {result['tracemalloc_peak_mb']:.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
