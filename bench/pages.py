"""Benchmark: every page of the extranet and the console, over HTTP, with 1,000,000 tickets.

Run:  .venv/bin/python bench/pages.py [--tickets N] [--open N] [--db sqlite|postgres|both] [--reps N]
                                      [--keep DIR]

For each database, in a child process, on a database of its own (benchkit.run_child: a SQLite file or a
private PostgreSQL cluster; with ``--keep DIR`` kept in DIR/<db> and reused by later runs of this script or
of bench/search.py, which measure the same data set):

1. bench/dataset.py's data set (default 1,000,000 tickets, a tenth open, 20 organisations on the Office
   plan, 6 teams, the search index, 1,000 subscriptions, outages, last month's invoices, claims,
   back-office requests, a chat, pages of a rota, mails in triage), loaded once;
2. the hourly ``sla-stats`` job once (the dashboard reads its rows; its time is printed: background work);
3. each page from gunicorn (2 sync workers, production settings: DEBUG off, the project's
   gunicorn.conf.py), one request at a time on a keep-alive connection with the reader's session cookie —
   a contact of the first organisation for the extranet, the supervisor (every ticket) for the console —
   4 warm-up requests, then ``--reps``; prints p50, p95 and the slowest against the targets: 150 ms for the
   console (issue 15), 300 ms for the extranet (issue 6).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import dataset  # noqa: E402 - bench/dataset.py
from benchkit import database_server, machine, run_databases, timed_gets  # noqa: E402 - bench/ is first on sys.path

CONSOLE_TARGET_MS = 150.0
EXTRANET_TARGET_MS = 300.0


def say(*args) -> None:
    print(*args, flush=True)


def main(argv=None) -> int:
    args = dataset.parse_args(__doc__.splitlines()[0], argv, db="sqlite", reps=20)
    if args.child:
        return child_main(args)
    say(machine())
    say(f"== {args.tickets:,} tickets ({args.open:,} open), {args.reps} requests per page")
    results = run_databases(
        args.db, Path(__file__).resolve(), dataset.child_args(args), "guichet-bench-pages", keep=args.keep
    )
    for db, r in results.items():
        if "error" in r:
            say(f"{db}: ERROR {r['error']}")
            continue
        slowest = max(r["pages"], key=lambda row: row["p95"])
        over = [row["page"] for row in r["pages"] if row["p95"] >= row["target"]]
        say(
            f"{db} ({r['server']}): {len(r['pages'])} pages, slowest p95 {slowest['p95']:.1f} ms "
            f"({slowest['page']}); targets (console < {CONSOLE_TARGET_MS:.0f} ms, extranet < "
            f"{EXTRANET_TARGET_MS:.0f} ms): " + ("met" if not over else "NOT met: " + ", ".join(over))
        )
    return 1 if any("error" in r for r in results.values()) else 0


# --------------------------------------------------------------------------------------------- child


def child_main(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    result: dict = {"db": args.child}
    try:
        call_command("migrate", verbosity=0)
        result["server"] = database_server(connection)
        say(f"== {result['server']}")
        readers = load(args, result)
        result["pages"] = measure(readers, args.reps)
    finally:
        if args.result:
            Path(args.result).write_text(json.dumps(result, indent=1, default=str))
    return 0


def load(args, result: dict):
    """The data set (bench/dataset.py, loaded once per kept database), then the pages to time and who
    reads them."""
    import tickets as ticket_bench  # bench/tickets.py: gunicorn's production settings

    from guichet import provider
    from guichet.availability.models import Outage
    from guichet.billing.models import Claim
    from guichet.channels.models import ChatConversation, InboundMail
    from guichet.contracts.models import Subscription
    from guichet.customers.models import Team, User
    from guichet.tickets.models import Ticket

    world = dataset.prepare(args, result)
    org0 = world.orgs[0]
    contact = User.objects.get(pk=world.contacts[org0.pk][0])
    ticket = Ticket.objects.filter(organisation=org0).order_by("-opened_at").first()
    sub = Subscription.objects.filter(organisation=org0).order_by("pk").first()
    conversation = ChatConversation.objects.order_by("pk").first()
    outage = Outage.objects.order_by("-started_at").first()
    invoice = org0.invoices.first()
    claim = Claim.objects.filter(organisation=org0).first()
    team = Team.objects.order_by("pk").first()
    last_month = provider.today().replace(day=1) - dt.timedelta(days=1)
    month = provider.month(last_month.year, last_month.month)
    extranet = [
        "/extranet/",
        "/extranet/tickets/",
        "/extranet/tickets/?q=vpn",
        "/extranet/tickets/new",
        f"/extranet/tickets/{ticket.reference}/",
        "/extranet/services/",
        f"/extranet/services/{sub.pk}/",
        f"/extranet/services/{sub.pk}/terminate",
        "/extranet/invoices/",
        f"/extranet/invoices/{invoice.pk}/",
        "/extranet/claims/",
        "/extranet/claims/new",
        "/extranet/contacts/",
        "/extranet/activity/",
        "/extranet/chat/",
    ]
    console = [
        "/console/",
        "/console/?priority=urgent",
        f"/console/tickets/{ticket.reference}/",
        f"/console/search/?q={dataset.RARE_REPLY}",  # 10 tickets
        "/console/search/?q=vpn",  # a twentieth of the tickets
        "/console/claims/",
        f"/console/claims/{claim.pk}/",
        "/console/dashboard/",  # this month: SLA compliance from the hourly rows
        "/console/dashboard/?period=last_month",
        "/console/dashboard/?period=30d",  # not whole months
        f"/console/dashboard/?organisation={org0.pk}",
        f"/console/dashboard/?team={team.pk}&sort=-breached",
        # a drill-down: last month's tickets whose first response was late
        "/console/?status=all&clock=first_response&clock_state=breached&opened_from="
        + quote(month[0].isoformat())
        + "&opened_before="
        + quote(month[1].isoformat()),
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
    from guichet.tickets.stats import recompute

    t1 = time.perf_counter()
    rows = recompute()  # what the hourly sla-stats job does, in the background, for the dashboard
    result["sla_stats_seconds"] = round(time.perf_counter() - t1, 2)
    say(f"sla-stats job (background, hourly): {rows} rows in {result['sla_stats_seconds']} s")
    key = ticket_bench.PRODUCTION["SECRET_KEY"]  # the key of the gunicorn that measure() starts
    return [
        ("contact", dataset.session_for(contact, key), extranet, EXTRANET_TARGET_MS),
        ("supervisor", dataset.session_for(world.supervisor, key), console, CONSOLE_TARGET_MS),
    ]


def measure(readers, reps: int) -> list[dict]:
    """Each page over HTTP from gunicorn (2 sync workers, production settings), one request at a time on a
    keep-alive connection with the reader's session cookie: 4 warm-up requests, then ``reps``."""
    import http.client
    import os
    import subprocess

    import tickets as ticket_bench  # bench/tickets.py: gunicorn and its production settings
    from django.db import connection

    # Production serves the static files' hashed names from collectstatic's manifest, as at its start.
    manage = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    subprocess.run(manage, env={**os.environ, **ticket_bench.PRODUCTION}, cwd=ROOT, check=True)
    connection.close()
    rows = []
    with ticket_bench.gunicorn({**ticket_bench.PRODUCTION, "LOG_LEVEL": "WARNING"}) as port:
        for who, session, paths, target in readers:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = {"Cookie": f"sessionid={session}"}
            for path in paths:
                times, _body = timed_gets(conn, path, headers, reps, who)
                row = {
                    "page": path,
                    "who": who,
                    "target": target,
                    "p50": ticket_bench.pct(times, 0.5) * 1e3,
                    "p95": ticket_bench.pct(times, 0.95) * 1e3,
                    "max": max(times) * 1e3,
                }
                rows.append(row)
                flag = "" if row["p95"] < target else f"  <-- over the target ({target:.0f} ms)"
                figures = f"p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  max {row['max']:7.1f} ms"
                say(f"{path:45} {figures}{flag}")
            conn.close()
    return rows


if __name__ == "__main__":
    sys.exit(main())
