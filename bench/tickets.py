"""Benchmark: tickets at scale — the agent queue's first page, the escalation sweep, API ticket creation.

Run:  .venv/bin/python bench/tickets.py [--quick] [--tickets N] [--open N] [--db sqlite|postgres|both]
                                        [--workdir DIR [--skip-load]]

For each database the script makes a fresh one of its own — SQLite: a file in a temporary directory;
PostgreSQL: a private cluster started like .ci/run does (initdb as the postgres user, pg_ctl on a free port,
stopped and removed at the end, even on error) — and runs the measures in a child process of itself
(``--child sqlite|postgres``), so that Django is set up once per database:

1. ``migrate``, the demo plans, organisations on the "office" plan with their contacts, staff and teams;
2. N tickets (default 1,000,000, 100,000 of them open) with their first message and their three SLA clocks,
   written with ``bulk_create`` in batches (the services would take hours). The clocks are computed with the
   real business-time engine (see ``Loader``): closed tickets by the closed form of a one-segment stopped
   clock (cross-checked against ``guichet.businesstime.clocks.evaluate`` on a sample), open tickets by
   ``evaluate`` itself on their segments; past warnings and breaches are stamped as the sweep would have
   stamped them, so that nothing is due when the load ends; then ANALYZE;
3. the agent queue's first page as the API's list endpoint builds it (``selectors.queue_page``, then the
   page's rows by id as ``tickets.read.tickets_json`` reads them, 50 rows), for a supervisor and for an
   agent, with and without the ``TicketOut`` serialisation, and the plans of its queries; then the same
   over HTTP from gunicorn;
4. the escalation sweep (``guichet.tickets.escalation.sweep``) with nothing, ~10 and ~1,000 tickets due;
5. API ticket creation: gunicorn, 2 sync workers, concurrent keep-alive clients on 127.0.0.1.

``--workdir DIR`` keeps the databases in DIR (not removed at the end); ``--skip-load`` then reuses them
(``migrate`` runs first, so a new migration is measured on the data already loaded).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchkit import PG_BIN_CANDIDATES, PgCluster, cpu_model, free_port  # noqa: E402 - bench/ is first on sys.path

UTC = dt.UTC

ORGANISATIONS = 20
CONTACTS_PER_ORG = 5
TEAMS = [("Support 1", "support"), ("Support 2", "support"), ("Support 3", "support"), ("NOC 1", "noc")]
TEAMS += [("NOC 2", "noc"), ("Billing", "billing")]
AGENTS_PER_TEAM = 5
BATCH = 10_000

# category -> share; team kind as services._route sends it (complaints also go to a supervisor)
CATEGORIES = [("incident", 0.30), ("request", 0.40), ("billing", 0.10), ("sales", 0.10), ("complaint", 0.10)]
TEAM_KIND = {"incident": "noc", "billing": "billing"}
PRIORITIES = [("low", 0.20), ("medium", 0.50), ("high", 0.22), ("urgent", 0.08)]
CHANNELS = [("portal", 0.35), ("email", 0.35), ("api", 0.10), ("phone", 0.15), ("chat", 0.05)]
OPEN_MIX = [("new", 0.30), ("open", 0.40), ("pending_customer", 0.20), ("on_hold", 0.10)]
FRESH = 0.85  # share of the live open tickets whose running clocks are not due yet
CLOCKS = ("first_response", "intervention", "resolution")

PROBLEMS = [
    "SIP trunk down", "No dial tone", "Calls drop after 30 seconds", "Invoice amount wrong",
    "Cannot log in to the portal", "Voicemail not working", "Slow internet", "Fax not received",
    "Number porting delayed", "Echo on outgoing calls", "Mailbox full", "DNS not resolving",
    "Website unreachable", "Certificate expired", "Backup failed", "VPN disconnects",
    "Request a new extension", "Change billing address", "Quote for 20 new lines", "Complaint about delay",
]  # fmt: skip
SITES = ["Luxembourg office", "Esch warehouse", "Kirchberg HQ", "Lisbon branch", "call centre", "data centre"]
DETAILS = [
    "since this morning",
    "for all users",
    "only for some numbers",
    "again after last week's fix",
    "after the maintenance window",
    "intermittently",
    "on every call",
    "since the upgrade",
]


# ---------------------------------------------------------------------------------------------- utilities


def pick(rng: random.Random, table):
    r = rng.random()
    acc = 0.0
    for value, share in table:
        acc += share
        if r < acc:
            return value
    return table[-1][0]


def pct(values, q: float) -> float:
    """The q-quantile (0..1) of values, nearest-rank."""
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def say(*args) -> None:
    print(*args, flush=True)


def phase(results: dict, name: str):
    """Context manager recording the wall time of a phase in results['phases']."""

    @contextlib.contextmanager
    def cm():
        t0 = time.perf_counter()
        say(f"-- {name}")
        try:
            yield
        finally:
            results.setdefault("phases", {})[name] = round(time.perf_counter() - t0, 2)
            say(f"   ({name}: {time.perf_counter() - t0:.1f} s)")

    return cm()


# -------------------------------------------------------------------------------------------- parent


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tickets", type=int, default=None, help="tickets to load (default 1,000,000)")
    p.add_argument("--open", type=int, default=None, help="of which open (default a tenth)")
    p.add_argument("--quick", action="store_true", help="100,000 tickets / 10,000 open, fewer repetitions")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--workdir", help="keep the databases here (default: a temporary directory, removed)")
    p.add_argument("--skip-load", action="store_true", help="reuse the databases of --workdir")
    p.add_argument("--reps", type=int, default=None, help="queue repetitions (default 200)")
    p.add_argument("--api-requests", type=int, default=3000)
    p.add_argument("--api-clients", type=int, default=8)
    p.add_argument("--api-seconds", type=float, default=60.0)
    p.add_argument("--api-db", choices=["sqlite", "both"], default="both", help="where to run the API phase")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.tickets is None:
        args.tickets = 100_000 if args.quick else 1_000_000
    if args.open is None:
        args.open = args.tickets // 10
    if args.reps is None:
        args.reps = 100 if args.quick else 200
    if args.quick and args.api_requests == 3000:
        args.api_requests = 1000
    if args.open > args.tickets:
        p.error("--open cannot exceed --tickets")
    if args.skip_load and not args.workdir:
        p.error("--skip-load needs --workdir (the databases of an earlier run)")
    return args


def child_argv(args, db: str, result: Path) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", db, "--result", str(result)]
    argv += ["--tickets", str(args.tickets), "--open", str(args.open), "--reps", str(args.reps)]
    argv += ["--api-requests", str(args.api_requests), "--api-clients", str(args.api_clients)]
    argv += ["--api-seconds", str(args.api_seconds), "--api-db", args.api_db, "--seed", str(args.seed)]
    if args.skip_load:
        argv += ["--skip-load", "--workdir", args.workdir]
    return argv


class Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise Stop(f"signal {signum}")


def run_database(args, db: str) -> dict:
    keep = bool(args.workdir)
    if keep:
        workdir = Path(args.workdir).resolve() / db
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix=f"guichet-bench-{db}-"))
    os.chmod(workdir, 0o755)  # the postgres user must reach its data directory inside
    env = dict(os.environ)
    env.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="guichet.settings",
        GUICHET_VAR_DIR=str(workdir / "var"),
        PYTHONUNBUFFERED="1",
    )
    pg = None
    child = None
    result_file = workdir / "result.json"
    result_file.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        if db == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{workdir / 'guichet.sqlite3'}"
        else:
            pg = PgCluster(workdir / "pg")
            say(f"== PostgreSQL {pg.version()}: private cluster in {pg.datadir}, port {pg.port}")
            pg.start()
            env["DATABASE_URL"] = pg.url
            env["GUICHET_BENCH_PG_BIN"] = str(pg.bin)
        child = subprocess.Popen(child_argv(args, db, result_file), env=env, cwd=ROOT)
        rc = child.wait()
        child = None
        result = json.loads(result_file.read_text()) if result_file.exists() else {}
        if rc != 0:
            result["error"] = f"child exited with {rc}"
    except (Stop, KeyboardInterrupt) as exc:
        result = {"error": f"interrupted ({exc})"}
        raise
    finally:
        if child is not None:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(30)
            if child.poll() is None:
                child.kill()
        if pg is not None:
            pg.stop(remove=not keep)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["wall_seconds"] = round(time.perf_counter() - t0, 1)
    return result


def header(args) -> None:
    import django

    pg_version = "?"
    if PG_BIN_CANDIDATES:
        out = subprocess.run(
            [str(PG_BIN_CANDIDATES[-1] / "postgres"), "--version"], capture_output=True, text=True
        )
        pg_version = out.stdout.split()[2] if out.returncode == 0 else "?"
    say(f"Guichet tickets benchmark — {dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    say(
        f"  machine   : {platform.machine()} / {cpu_model()} / {' '.join(platform.uname()[:3])} / "
        f"{os.cpu_count()} CPUs"
    )
    say(
        f"  software  : CPython {platform.python_version()}, Django {django.get_version()}, "
        f"SQLite {sqlite3.sqlite_version}, PostgreSQL {pg_version}"
    )
    say(
        f"  data      : {args.tickets:,} tickets ({args.open:,} open), {ORGANISATIONS} organisations on the "
        f"office plan, {len(TEAMS)} teams of {AGENTS_PER_TEAM} agents, seed {args.seed}"
    )
    say()


def summary(args, results: dict) -> None:
    say()
    say("=" * 100)
    say(f"Summary — {args.tickets:,} tickets ({args.open:,} open)")
    for db, r in results.items():
        say()
        say(f"[{db}] {r.get('server', '')}  (wall {r.get('wall_seconds', '?')} s)")
        if r.get("error"):
            say(f"  ERROR: {r['error']}")
        load = r.get("load")
        if load:
            say(
                f"  load        : {load['tickets']:,} tickets + {load['clocks']:,} clocks + "
                f"{load['messages']:,} messages in {load['seconds']:.0f} s "
                f"({load['rows_per_s']:,.0f} rows/s; {load['tickets_per_s']:,.0f} tickets/s)"
            )
        for key in ("supervisor", "agent", "supervisor after gc.freeze()", "agent after gc.freeze()"):
            q = r.get("queue", {}).get(key)
            if q:
                say(
                    f"  queue {key}, in the bench process: p50 {q['total']['p50']:.2f} / p95 "
                    f"{q['total']['p95']:.2f} / max {q['total']['max']:.2f} ms (queries only: p50 "
                    f"{q['db']['p50']:.2f} / p95 {q['db']['p95']:.2f} ms)"
                )
        for key, q in r.get("queue_http", {}).items():
            ok = "yes" if q["p95"] < 20 else "NO"
            say(
                f"  queue {key:<10}: over HTTP p50 {q['p50']:.2f} / p95 {q['p95']:.2f} / max "
                f"{q['max']:.2f} ms  p95 < 20 ms: {ok}"
            )
        for s in r.get("sweep", []):
            per = ""
            if s["escalated"]:
                per = (
                    f", {s['ms_per_ticket']:.2f} ms per escalated ticket "
                    f"({s.get('marginal_ms_per_ticket', 0):.2f} above nothing due)"
                )
            say(f"  sweep {s['label']:<11}: {s['ms']:.1f} ms ({s['result']}){per}")
        for a in r.get("api", []):
            say(
                f"  API         : {a['label']}: {a['rate']:.0f} requests/s, p50 {a['p50']:.1f} / p95 "
                f"{a['p95']:.1f} ms, {a['done']:,} requests, non-201: {a['non_201']}"
            )
        if r.get("phases"):
            say("  phases (s)  : " + ", ".join(f"{k} {v}" for k, v in r["phases"].items()))
    say()


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    signal.signal(signal.SIGTERM, _on_signal)
    header(args)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, dict] = {}
    try:
        for db in dbs:
            say(f"==================== {db} ====================")
            results[db] = run_database(args, db)
    finally:
        summary(args, results)
    return 1 if any(r.get("error") for r in results.values()) else 0


# --------------------------------------------------------------------------------------------- child


def child_main(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    # The query log of DEBUG would format every bulk insert and time every query twice: not in this process
    # (the gunicorn workers of the API phase run with DEBUG=1 as asked).
    settings.DEBUG = False
    results: dict = {"db": args.child}
    ok = False
    try:
        if connection.vendor == "sqlite":
            results["server"] = f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
        else:
            with connection.cursor() as cur:
                cur.execute("SHOW server_version")
                version = cur.fetchone()[0]
                cur.execute("SHOW shared_buffers")
                buffers = cur.fetchone()[0]
            results["server"] = f"PostgreSQL {version} (shared_buffers {buffers}, fsync on)"
        say(f"== {results['server']}")
        bench = Bench(args, results)
        bench.run()
        ok = True
    finally:
        if args.result:
            Path(args.result).write_text(json.dumps(results, indent=1, default=str))
    return 0 if ok else 1


class Bench:
    def __init__(self, args, results: dict):
        self.args = args
        self.results = results
        self.rng = random.Random(args.seed)

    def run(self) -> None:
        from django.core.management import call_command

        with phase(self.results, "migrate"):
            call_command("migrate", verbosity=0, interactive=False)
        from guichet.tickets.models import Ticket

        have = Ticket.objects.exists()
        with phase(self.results, "world"):
            self.world = World.make()
        if self.args.skip_load and have:
            say("-- load skipped: reusing the tickets already in the database")
            self.results["load"] = None
        else:
            if have:
                raise SystemExit("the database already has tickets: use a fresh --workdir or --skip-load")
            with phase(self.results, "load"):
                Loader(self.world, self.args.tickets, self.args.open, self.args.seed, self.results).run()
            with phase(self.results, "analyze"):
                analyze()
        describe_data()
        with phase(self.results, "queue"):
            self.results["queue"] = queue_phase(self.world, self.args.reps, try_freeze=True)
        with phase(self.results, "queue_http"):
            self.results["queue_http"] = http_queue_phase(self.world, self.args.reps)
        with phase(self.results, "sweep"):
            self.results["sweep"] = sweep_phase(self.world)
        from django.db import connection

        if self.args.api_db == "both" or connection.vendor == "sqlite":
            with phase(self.results, "api"):
                self.results["api"] = api_phase(self.world, self.args)


# --------------------------------------------------------------------------------------------- world


class World:
    """The people and organisations the tickets belong to."""

    def __init__(self):
        self.plan = None
        self.orgs: list = []
        self.contacts: dict[int, list[int]] = {}
        self.teams: dict[str, list] = defaultdict(list)  # kind -> teams
        self.members: dict[int, list[int]] = {}  # team id -> agent ids
        self.supervisor = None
        self.agent = None
        self.api_user = None

    @classmethod
    def make(cls) -> World:
        from django.db import transaction

        from guichet.customers.models import Contact, Organisation, Team, User
        from guichet.plans.demo import load_plans
        from guichet.plans.models import OrganisationPlan, SlaPlan

        w = cls()
        with transaction.atomic():
            load_plans()
            w.plan = (
                SlaPlan.objects.select_related("support_calendar", "fault_calendar", "billing_calendar")
                .prefetch_related("targets")
                .get(code="office")
            )
            if not User.objects.filter(username="bench-supervisor").exists():
                staff = [User(username="bench-supervisor", kind=User.Kind.SUPERVISOR, first_name="Sue")]
                staff += [
                    User(username=f"bench-agent-{t}-{a}", kind=User.Kind.AGENT, first_name=f"Agent {t}.{a}")
                    for t in range(len(TEAMS))
                    for a in range(AGENTS_PER_TEAM)
                ]
                staff.append(User(username="bench-manager", kind=User.Kind.ACCOUNT_MANAGER))
                for u in staff:
                    u.set_unusable_password()
                    u.email = f"{u.username}@guichet.localhost"
                User.objects.bulk_create(staff)
                sup = User.objects.get(username="bench-supervisor")
                manager = User.objects.get(username="bench-manager")
                for t, (name, kind) in enumerate(TEAMS):
                    team = Team.objects.create(name=name, kind=kind, supervisor=sup)
                    team.members.add(*User.objects.filter(username__startswith=f"bench-agent-{t}-"))
                orgs = [
                    Organisation(name=f"Customer {i:02d}", slug=f"customer-{i:02d}", account_manager=manager)
                    for i in range(ORGANISATIONS)
                ]
                Organisation.objects.bulk_create(orgs)
                orgs = list(Organisation.objects.filter(slug__startswith="customer-").order_by("pk"))
                OrganisationPlan.objects.bulk_create(
                    [OrganisationPlan(organisation=o, plan=w.plan) for o in orgs]
                )
                people = []
                for o in orgs:
                    for c in range(CONTACTS_PER_ORG):
                        u = User(username=f"contact-{c}@{o.slug}.example", kind=User.Kind.CUSTOMER)
                        u.email = u.username
                        u.set_unusable_password()
                        people.append((o, u))
                User.objects.bulk_create([u for _, u in people])
                by_name = {u.username: u.pk for u in User.objects.filter(username__startswith="contact-")}
                Contact.objects.bulk_create(
                    [
                        Contact(user_id=by_name[u.username], organisation=o, roles=["technical"])
                        for o, u in people
                    ]
                )
        w.supervisor = User.objects.get(username="bench-supervisor")
        w.orgs = list(Organisation.objects.filter(slug__startswith="customer-").order_by("pk"))
        for c in Contact.objects.filter(organisation__in=w.orgs).order_by("pk"):
            w.contacts.setdefault(c.organisation_id, []).append(c.user_id)
        for team in Team.objects.filter(name__in=[n for n, _ in TEAMS]).order_by("pk"):
            w.teams[team.kind].append(team)
            w.members[team.pk] = list(team.members.order_by("pk").values_list("pk", flat=True))
        w.agent = User.objects.get(username="bench-agent-0-0")  # a member of "Support 1"
        w.api_user = User.objects.get(pk=w.contacts[w.orgs[0].pk][0])
        return w


# --------------------------------------------------------------------------------------------- loader


class Backwards:
    """Instants a given amount of open time before ``now`` on one calendar (the engine only adds forward):
    the calendar's open periods over the last ``days`` days, walked backwards. Only used to *choose* the
    instants of the generated tickets; every stored figure is then computed forward by the engine."""

    def __init__(self, cal, now: dt.datetime, days: int = 400):
        periods = cal.open_periods(now - dt.timedelta(days=days), count=days * 3)
        spans = [(a.timestamp(), min(b, now).timestamp()) for a, b in periods if a < now]
        spans.reverse()  # latest first
        self.starts: list[float] = []
        self.cum: list[float] = []  # open seconds from each span's start to now
        acc = 0.0
        for a, b in spans:
            acc += b - a
            self.starts.append(a)
            self.cum.append(acc)

    def before(self, seconds: float) -> dt.datetime:
        k = bisect.bisect_left(self.cum, seconds)
        if k >= len(self.cum):
            ts = self.starts[-1] - (seconds - self.cum[-1])
        else:
            ts = self.starts[k] + (self.cum[k] - seconds)
        return dt.datetime.fromtimestamp(round(ts), UTC)


class Loader:
    """Writes the tickets, their first message and their clocks with bulk_create, in batches of 10,000.

    Every clock runs on the plan's calendar for the ticket's category (``sla.calendar_for``) with the plan's
    target (``sla.target_seconds``), and is computed with the real engine:

    * closed tickets (resolved/closed): one segment from the opening to the event, stopped — due =
      add(opened, target), warn = add(opened, 75 %) when reached, breached when the event came after the due
      instant (the closed form of ``evaluate`` for that case, checked against it on a sample);
    * open tickets: ``evaluate`` on their segments. New tickets run from their opening; answered ones have
      met their first-response clock and may have met the intervention; 60 % of those have been waiting for
      the customer once (a pause) and resumed since; pending_customer ones are paused now. 85 % are chosen
      so that their running clocks are not due yet (the last resume is recent enough), the rest are overdue.

    Warnings and breaches that lie in the past are stamped (warned_at, breach_notified_at, state) as the
    minutely sweep would have done, so that nothing is due when the load ends.
    """

    def __init__(self, world: World, n: int, n_open: int, seed: int, results: dict):
        self.w = world
        self.n = n
        self.n_open = n_open
        self.rng = random.Random(seed)
        self.results = results
        self.now = dt.datetime.now(UTC).replace(microsecond=0)
        self.samples: list = []

    # -- targets and calendars

    def _prepare(self) -> None:
        from guichet.plans.selectors import business_calendar
        from guichet.tickets import sla

        plan = self.w.plan
        self.cal_row = {c: sla.calendar_for(plan, c) for c, _ in CATEGORIES}
        self.cal = {c: business_calendar(r) for c, r in self.cal_row.items()}
        self.back = {}
        for c, row in self.cal_row.items():
            if row.pk not in self.back:
                self.back[row.pk] = Backwards(self.cal[c], self.now)
        # Office targets are in business hours: they do not depend on the opening instant.
        self.target = {
            (c, clock, p): sla.target_seconds(plan, clock, p, self.cal_row[c], self.now)
            for c, _ in CATEGORIES
            for clock in CLOCKS
            for p, _ in PRIORITIES
        }
        say(
            "   targets (office plan): "
            + ", ".join(f"{clock} {self.target[('request', clock, 'medium')] / 3600:g} h" for clock in CLOCKS)
            + f" on {self.cal_row['request'].name!r} ({self.cal_row['request'].time_zone})"
        )

    def _common(self, category: str):
        rng = self.rng
        org = rng.choice(self.w.orgs)
        kind = TEAM_KIND.get(category, "support")
        team = rng.choice(self.w.teams[kind])
        return org, team

    # -- generation

    def _open_spec(self, i: int) -> dict:
        from guichet.businesstime.clocks import Segment

        rng = self.rng
        category = pick(rng, CATEGORIES)
        priority = pick(rng, PRIORITIES)
        status = pick(rng, OPEN_MIX)
        org, team = self._common(category)
        back = self.back[self.cal_row[category].pk]
        cal = self.cal[category]
        T = {clock: self.target[(category, clock, priority)] for clock in CLOCKS}
        fresh = rng.random() < FRESH
        day = 10 * 3600  # one open day of the office calendar, as a unit for the generated gaps
        segs: dict[str, tuple[list, bool]] = {}
        fr_at = int_at = None
        if status == "new":
            if fresh:
                opened = back.before(rng.uniform(0, 0.95 * T["first_response"]))
            else:
                opened = back.before(T["first_response"] + rng.uniform(60, 3 * day))
            for clock in CLOCKS:
                segs[clock] = ([Segment(opened, None)], False)
        else:
            fr_b = T["first_response"] * rng.uniform(0.1, 1.3)  # open time to the first response
            u = fr_b + rng.uniform(0, 3600)  # used before the last pause (or before now - r_b)
            intervened = rng.random() < 0.5
            int_b = rng.uniform(fr_b, u) if intervened else None
            t_run = T["resolution"] if intervened else min(T["intervention"], T["resolution"])
            paused_once = rng.random() < 0.6
            if status == "pending_customer":
                p_b = rng.uniform(0, 5 * day)  # paused that long ago (open time)
                p1 = back.before(p_b)
                opened = back.before(p_b + u)
                running = [Segment(opened, p1)]
            else:
                if fresh:
                    r_b = rng.uniform(0, 0.95 * max(t_run - u, 0))
                else:
                    r_b = (t_run - u) + rng.uniform(60, 3 * day)
                r = back.before(r_b)
                if paused_once:
                    gap = min(rng.expovariate(1 / (2 * day)), 40 * day)
                    p1 = back.before(r_b + gap)
                    opened = back.before(r_b + gap + u)
                    running = [Segment(opened, p1), Segment(max(r, p1), None)]
                else:
                    opened = back.before(r_b + u)
                    running = [Segment(opened, None)]
            fr_at = cal.add(opened, dt.timedelta(seconds=round(fr_b)))
            if running[0].end is not None:
                fr_at = min(fr_at, running[0].end)
            segs["first_response"] = ([Segment(opened, fr_at)], True)
            if intervened:
                int_at = max(fr_at, cal.add(opened, dt.timedelta(seconds=round(int_b))))
                if running[0].end is not None:
                    int_at = min(int_at, running[0].end)
                segs["intervention"] = ([Segment(opened, int_at)], True)
            else:
                segs["intervention"] = (running, False)
            segs["resolution"] = (running, False)
        team_agents = self.w.members[team.pk]
        if category == "complaint":
            assignee = self.w.supervisor.pk
        elif status == "new":
            assignee = rng.choice(team_agents) if rng.random() < 0.1 else None
        else:
            assignee = rng.choice(team_agents) if rng.random() < 0.85 else None
        return {
            "open": True,
            "opened": opened.astimezone(UTC),
            "status": status,
            "category": category,
            "priority": priority,
            "org": org,
            "team": team,
            "assignee": assignee,
            "first_response_at": fr_at,
            "intervention_started_at": int_at,
            "resolved_at": None,
            "closed_at": None,
            "segs": segs,
            "T": T,
        }

    def _closed_spec(self) -> tuple:
        rng = self.rng
        ts = self.now.timestamp() - rng.uniform(8 * 86400, 730 * 86400)
        return (
            round(ts),
            pick(rng, CATEGORIES),
            pick(rng, PRIORITIES),
            rng.uniform(0.05, 1.2),  # first response, share of its target
            rng.uniform(0.1, 1.2),
            rng.uniform(0.2, 1.3),
            rng.uniform(3600, 7 * 86400),  # resolved -> closed (real time)
            rng.random(),
            rng.getrandbits(32),
        )

    # -- rows

    def _clock_row(self, ticket_id, opened, clock, cal_row, T, segments, stopped, st) -> dict:
        warned_at = breach_notified_at = None
        if st.warn_at is not None and st.warn_at <= self.now:
            warned_at = min(st.warn_at + dt.timedelta(seconds=30), self.now)
        if st.state.value == "breached":
            breach_notified_at = min(st.due_at + dt.timedelta(seconds=30), self.now)
        return {
            "ticket_id": ticket_id,
            "clock": clock,
            "ticket_opened_at": opened,
            "calendar_id": cal_row.pk,
            "target_seconds": T,
            "segments": [
                [s.start.isoformat(), None if s.end is None else s.end.isoformat()] for s in segments
            ],
            "stopped": stopped,
            "state": st.state.value,
            "used_seconds": int(st.used.total_seconds()),
            "evaluated_at": self.now if not stopped else max(s.end for s in segments if s.end),
            "due_at": st.due_at,
            "warn_at": st.warn_at,
            "breached_at": st.breached_at,
            "warned_at": warned_at,
            "breach_notified_at": breach_notified_at,
        }

    def _closed_clocks(self, spec, opened: dt.datetime):
        """(ticket fields, clock statuses) of a closed ticket: the closed form of evaluate for one stopped
        segment."""
        from guichet.businesstime.clocks import ClockState, ClockStatus, Segment

        _, category, priority, fr_share, int_share, res_share, *_ = spec
        cal = self.cal[category]
        T = {clock: self.target[(category, clock, priority)] for clock in CLOCKS}
        fr_b = round(T["first_response"] * fr_share)
        int_b = max(fr_b, round(T["intervention"] * int_share))
        res_b = max(int_b, round(T["resolution"] * res_share))
        stops = {}
        out = {}
        for clock, b in (("first_response", fr_b), ("intervention", int_b), ("resolution", res_b)):
            target = dt.timedelta(seconds=T[clock])
            stop = cal.add(opened, dt.timedelta(seconds=b))
            due = cal.add(opened, target)
            warn = cal.add(opened, target * 0.75) if dt.timedelta(seconds=b) >= target * 0.75 else None
            breached = b >= T[clock] and due < stop
            st = ClockStatus(
                state=ClockState.BREACHED if breached else ClockState.MET,
                target=target,
                used=dt.timedelta(seconds=b),
                due_at=due,
                warn_at=warn,
                breached_at=due if breached else None,
                stopped=True,
            )
            stops[clock] = stop
            out[clock] = ([Segment(opened, stop)], True, st)
        return stops, out, T

    def run(self) -> None:
        from django.db import transaction

        from guichet.businesstime.clocks import evaluate
        from guichet.tickets.models import SlaClock, Ticket, TicketCounter, TicketMessage

        self._prepare()
        n_closed = self.n - self.n_open
        t0 = time.perf_counter()
        opens = [self._open_spec(i) for i in range(self.n_open)]
        t_open = time.perf_counter() - t0
        t1 = time.perf_counter()
        closed = [self._closed_spec() for _ in range(n_closed)]
        # Insert in opening order (ids grow with time, as they would), references numbered per year.
        order = [(s["opened"].timestamp(), 1, i) for i, s in enumerate(opens)]
        order += [(c[0], 0, i) for i, c in enumerate(closed)]
        order.sort()
        t_gen = time.perf_counter() - t1
        say(
            f"   generated {self.n_open:,} open tickets with the engine's evaluate in {t_open:.1f} s, "
            f"{n_closed:,} closed ones (drawn, clocks computed per batch) in {t_gen:.1f} s"
        )
        per_year: Counter[int] = Counter()
        stats = Counter()
        t_build = t_db = t_engine = 0.0
        loaded_clocks = loaded_msgs = 0
        start = time.perf_counter()
        next_report = start + 30
        for lo in range(0, len(order), BATCH):
            tb = time.perf_counter()
            chunk = order[lo : lo + BATCH]
            tickets, pending = [], []
            for ts, is_open, idx in chunk:
                rng = self.rng
                if is_open:
                    s = opens[idx]
                    opened = s["opened"]
                    te = time.perf_counter()
                    statuses = {
                        clock: (segs, stopped, evaluate(
                            self.cal[s["category"]], dt.timedelta(seconds=s["T"][clock]), segs, self.now,
                            stopped=stopped, warn_ratio=0.75,
                        ))
                        for clock, (segs, stopped) in s["segs"].items()
                    }  # fmt: skip
                    t_engine += time.perf_counter() - te
                    category, priority, status, T = s["category"], s["priority"], s["status"], s["T"]
                    org, team, assignee = s["org"], s["team"], s["assignee"]
                    fields = {
                        "first_response_at": s["first_response_at"],
                        "intervention_started_at": s["intervention_started_at"],
                    }
                else:
                    spec = closed[idx]
                    category, priority = spec[1], spec[2]
                    opened = dt.datetime.fromtimestamp(spec[0], UTC)
                    te = time.perf_counter()
                    stops, statuses, T = self._closed_clocks(spec, opened)
                    t_engine += time.perf_counter() - te
                    resolved = stops["resolution"]
                    closed_at = resolved + dt.timedelta(seconds=spec[6])
                    status = "closed" if closed_at <= self.now else "resolved"
                    org = rng.choice(self.w.orgs)
                    team = rng.choice(self.w.teams[TEAM_KIND.get(category, "support")])
                    assignee = (
                        self.w.supervisor.pk
                        if category == "complaint"
                        else rng.choice(self.w.members[team.pk])
                    )
                    fields = {
                        "first_response_at": stops["first_response"],
                        "intervention_started_at": stops["intervention"],
                        "resolved_at": resolved,
                        "closed_at": closed_at if status == "closed" else None,
                    }
                    if len(self.samples) < 1000 and spec[7] < 0.01:
                        self.samples.append((category, T, statuses))
                year = opened.year
                per_year[year] += 1
                problem = rng.choice(PROBLEMS)
                subject = f"{problem} — {rng.choice(SITES)}"
                requester = rng.choice(self.w.contacts[org.pk])
                dues = [st.due_at for segs, stopped, st in statuses.values() if not stopped and st.due_at]
                t = Ticket(
                    reference=f"GT-{year}-{per_year[year]:06d}",
                    organisation_id=org.pk,
                    requester_id=requester,
                    plan_id=self.w.plan.pk,
                    category=category,
                    priority=priority,
                    status=status,
                    channel=pick(rng, CHANNELS),
                    subject=subject,
                    team_id=team.pk,
                    assignee_id=assignee,
                    opened_at=opened,
                    customer_flagged_urgent=priority == "urgent" and rng.random() < 0.3,
                    next_due_at=min(dues) if dues else None,
                    breached=any(st.state.value == "breached" for _s, _p, st in statuses.values()),
                    version=1 + len([1 for v in fields.values() if v]),
                    **fields,
                )
                tickets.append(t)
                body = f"{problem} {rng.choice(DETAILS)} at our {rng.choice(SITES)}. Ticket {ts:.0f}."
                pending.append((t, category, T, statuses, requester, body, opened))
                stats[status] += 1
            t_build += time.perf_counter() - tb
            td = time.perf_counter()
            with transaction.atomic():
                Ticket.objects.bulk_create(tickets)
            t_db += time.perf_counter() - td
            tb = time.perf_counter()
            clocks, messages = [], []
            for t, category, T, statuses, requester, body, opened in pending:
                cal_row = self.cal_row[category]
                for clock, (segs, stopped, st) in statuses.items():
                    row = self._clock_row(t.pk, opened, clock, cal_row, T[clock], segs, stopped, st)
                    clocks.append(SlaClock(**row))
                    stats[f"clock {row['state']}"] += 1
                    if row["state"] in ("running", "breached") and not stopped:
                        stats[
                            "live clock due in future" if st.due_at > self.now else "live clock overdue"
                        ] += 1
                messages.append(
                    TicketMessage(
                        ticket_id=t.pk, author_id=requester, kind="public", body=body, channel="portal",
                        created_at=opened,
                    )
                )  # fmt: skip
            t_build += time.perf_counter() - tb
            td = time.perf_counter()
            with transaction.atomic():
                SlaClock.objects.bulk_create(clocks)
                TicketMessage.objects.bulk_create(messages)
            t_db += time.perf_counter() - td
            loaded_clocks += len(clocks)
            loaded_msgs += len(messages)
            if time.perf_counter() > next_report:
                done = lo + len(chunk)
                rate = done / (time.perf_counter() - start)
                say(f"   ... {done:,} tickets ({rate:,.0f} tickets/s)")
                next_report = time.perf_counter() + 30
        TicketCounter.objects.bulk_create(
            [TicketCounter(year=y, last=n) for y, n in sorted(per_year.items())]
        )
        seconds = time.perf_counter() - start
        rows = self.n + loaded_clocks + loaded_msgs
        self.results["load"] = {
            "tickets": self.n,
            "open": self.n_open,
            "clocks": loaded_clocks,
            "messages": loaded_msgs,
            "seconds": round(seconds + t_open + t_gen, 1),
            "insert_seconds": round(t_db, 1),
            "build_seconds": round(t_build, 1),
            "engine_seconds": round(t_engine + t_open, 1),
            "rows_per_s": rows / (seconds + t_open + t_gen),
            "tickets_per_s": self.n / (seconds + t_open + t_gen),
        }
        say(
            f"   loaded {self.n:,} tickets, {loaded_clocks:,} clocks, {loaded_msgs:,} messages "
            f"({rows:,} rows) in {seconds + t_open + t_gen:.1f} s = {rows / (seconds + t_open + t_gen):,.0f} "
            f"rows/s, {self.n / (seconds + t_open + t_gen):,.0f} tickets/s"
        )
        say(
            f"   of which: bulk_create {t_db:.1f} s, building the model objects {t_build - t_engine:.1f} s, "
            f"engine (add/elapsed/evaluate) {t_engine + t_open:.1f} s, drawing {t_gen:.1f} s"
        )
        say("   statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(stats.items()) if "clock" not in k))
        say("   clocks  : " + ", ".join(f"{k} {v:,}" for k, v in sorted(stats.items()) if "clock" in k))
        self._check_samples()

    def _check_samples(self) -> None:
        """The closed form used for closed tickets against evaluate itself."""
        from guichet.businesstime.clocks import evaluate

        bad = 0
        for category, T, statuses in self.samples:
            for clock, (segs, stopped, st) in statuses.items():
                ref = evaluate(
                    self.cal[category], dt.timedelta(seconds=T[clock]), segs, self.now, stopped=stopped
                )
                mine = (st.state, st.used, st.due_at, st.warn_at, st.breached_at)
                theirs = (ref.state, ref.used, ref.due_at, ref.warn_at, ref.breached_at)
                bad += mine != theirs
        n = sum(len(s[2]) for s in self.samples)
        say(f"   closed-form clocks checked against evaluate on {n:,} samples: {bad} mismatches")
        if bad:
            raise SystemExit("the closed form disagrees with evaluate")


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("ANALYZE")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            # VACUUM as well as ANALYZE: it sets the visibility map that autovacuum would set later anyway
            # (and would otherwise do in the middle of the measures).
            cur.execute("VACUUM ANALYZE")


def describe_data() -> None:
    from django.db import connection

    from guichet.tickets.models import OPEN_STATUSES, SlaClock, Ticket

    n = Ticket.objects.count()
    n_open = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    live = SlaClock.objects.filter(state__in=["running", "breached"], stopped=False).count()
    size = "?"
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA page_count")
            pages = cur.fetchone()[0]
            cur.execute("PRAGMA page_size")
            size = f"{pages * cur.fetchone()[0] / 2**20:,.0f} MB"
        else:
            cur.execute("SELECT pg_database_size(current_database())")
            size = f"{cur.fetchone()[0] / 2**20:,.0f} MB"
    say(f"   database: {n:,} tickets ({n_open:,} open), {live:,} live clocks; size {size}")


# ---------------------------------------------------------------------------------------- measuring


PG_PLAN_KEEP = re.compile(r"Scan|Sort|Limit|Cond|Filter|Rows Removed|Execution Time|Merge|Append|Heap Blocks")


def explain(sql: str, params=None, full: bool = True) -> str:
    """The plan of a statement with its real parameters (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
    ANALYZE, rolled back). ``full=False`` keeps only the scan, sort and filter lines of a PostgreSQL plan."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(f"     {row[-1]}" for row in cur.fetchall())
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [row[0] for row in cur.fetchall()]
        transaction.set_rollback(True)  # EXPLAIN ANALYZE of FOR UPDATE takes locks: give them back
    if not full:
        lines = [line for line in lines if PG_PLAN_KEEP.search(line)]
    return "\n".join(f"     {line}" for line in lines)


def captured(fn):
    """Run fn() with every statement recorded as executed; returns (result, [(sql, params, seconds)])."""
    from django.db import connection

    log: list[tuple[str, object, float]] = []

    def wrapper(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append((sql, params, time.perf_counter() - t0))

    with connection.execute_wrapper(wrapper):
        out = fn()
    return out, log


def run_sql(sql: str, params, reps: int = 5) -> float:
    """Median seconds to execute and fetch a statement (inside a rolled-back transaction)."""
    from django.db import connection, transaction

    times = []
    with transaction.atomic(), connection.cursor() as cur:
        for _ in range(reps):
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append(time.perf_counter() - t0)
        transaction.set_rollback(True)
    return statistics.median(times)


def short(sql: str, width: int = 150) -> str:
    """The statement without its column list and joins (the table, then WHERE ... onwards), cut to width."""
    sql = re.sub(r"\s+", " ", sql)
    sql = re.sub(r'SELECT .*? FROM "', 'SELECT … FROM "', sql, count=1)
    joins = sql.find(" JOIN ")
    where = sql.find(" WHERE ")
    if len(sql) > width and 0 < joins < where:
        head = sql[:joins].rsplit(" ", 2)[0]
        sql = f"{head} JOIN …{sql[where:]}"
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def queue_page(user, serialise: bool):
    """The API's list endpoint for ``user``: GET /api/v1/tickets?status=new&status=open&... (first page):
    the page's ids, its rows as dicts (``tickets.read.tickets_json``, live clocks included), then
    (``serialise``) their validation as TicketOut and the JSON, as ninja does."""
    from django.utils import timezone
    from ninja.responses import NinjaJSONEncoder

    from guichet.api.tickets import TicketOut
    from guichet.tickets.models import OPEN_STATUSES
    from guichet.tickets.read import tickets_json
    from guichet.tickets.selectors import queue_page as page_ids

    t0 = time.perf_counter()
    ids = page_ids(user, offset=0, limit=50, statuses=list(OPEN_STATUSES))
    by_id = tickets_json(ids, timezone.now())
    rows = [by_id[pk] for pk in ids]
    t1 = time.perf_counter()
    if serialise:
        out = [TicketOut.model_validate(row).model_dump() for row in rows]
        json.dumps(out, cls=NinjaJSONEncoder)
    return rows, t1 - t0, time.perf_counter() - t0


class GcWatch:
    """Counts the full (generation 2) collections of the cyclic garbage collector and their pauses."""

    def __init__(self):
        self.pauses: list[float] = []
        self._t0 = 0.0

    def __call__(self, phase_name, info):
        if info["generation"] != 2:
            return
        if phase_name == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._t0)

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def time_queue(user, reps: int, page=queue_page) -> dict:
    for _ in range(max(10, reps // 10)):
        page(user, True)
    db_times, total = [], []
    with GcWatch() as gcw:
        for _ in range(reps):
            _, d, t = page(user, True)
            db_times.append(d)
            total.append(t)
    raw = []
    for _ in range(reps):
        t0 = time.perf_counter()
        page(user, False)
        raw.append(time.perf_counter() - t0)

    def stat(xs):
        return {"p50": pct(xs, 0.5) * 1e3, "p95": pct(xs, 0.95) * 1e3, "max": max(xs) * 1e3}

    return {
        "db": stat(raw),
        "total": stat(total),
        "db_in_total": stat(db_times),
        "gc": {"full_collections": len(gcw.pauses), "max_ms": max(gcw.pauses, default=0) * 1e3},
    }


def queue_phase(world, reps: int, try_freeze: bool = False) -> dict:
    out = {}
    for key, user in (("supervisor", world.supervisor), ("agent", world.agent)):
        (rows, _, _), queries = captured(lambda u=user: queue_page(u, True))
        scope = (
            "all tickets"
            if key == "supervisor"
            else f"teams {list(user.teams.values_list('name', flat=True))}"
        )
        say(f"   {key} ({user.username}, {scope}): {len(rows)} rows, {len(queries)} queries:")
        for sql, _, sec in queries:
            say(f"     {sec * 1e3:7.2f} ms  {short(sql)}")
        for sql, params, _ in queries:
            if 'FROM "tickets_ticket"' in sql[:400]:
                say(f"   plan of: {short(sql, 110)} (alone: {run_sql(sql, params) * 1e3:.2f} ms)")
                say(explain(sql, params, full=False))
        r = time_queue(user, reps)
        out[key] = r
        say(
            f"   {key}: first page p50 {r['total']['p50']:.2f} / p95 {r['total']['p95']:.2f} / max "
            f"{r['total']['max']:.2f} ms with TicketOut; queries only p50 {r['db']['p50']:.2f} / p95 "
            f"{r['db']['p95']:.2f} / max {r['db']['max']:.2f} ms ({reps} repetitions); "
            f"{r['gc']['full_collections']} full GC collections during the {reps} pages with TicketOut, "
            f"longest {r['gc']['max_ms']:.1f} ms"
        )
    if try_freeze:
        # The full collections above scan every object the process has built (Django, ninja and pydantic
        # schemas, calendars): gc.freeze() after the warm-up takes those out of the collector's sight.
        gc.collect()
        gc.freeze()
        try:
            for key, user in (("supervisor", world.supervisor), ("agent", world.agent)):
                r = time_queue(user, reps)
                out[f"{key} after gc.freeze()"] = r
                say(
                    f"   {key}, after gc.collect(); gc.freeze(): p50 {r['total']['p50']:.2f} / p95 "
                    f"{r['total']['p95']:.2f} / max {r['total']['max']:.2f} ms with TicketOut; "
                    f"{r['gc']['full_collections']} full collections, longest {r['gc']['max_ms']:.1f} ms"
                )
        finally:
            gc.unfreeze()
    return out


# -------------------------------------------------------------------------------------------- sweep

LIVE = ("running", "breached")


def settle(now) -> dict:
    """Stamp whatever is due at ``now`` as the sweep would (not timed): the starting point of a scenario."""
    from django.db.models import F

    from guichet.tickets.models import SlaClock, Ticket

    live = SlaClock.objects.filter(state__in=LIVE, stopped=False)
    done = {
        "warn": live.filter(warn_at__lte=now, warned_at__isnull=True).update(warned_at=now),
        "breach": live.filter(due_at__lt=now, breach_notified_at__isnull=True).update(
            state="breached", breached_at=F("due_at"), breach_notified_at=now
        ),
        "raise": SlaClock.objects.filter(raise_at__lte=now, raised_at__isnull=True, stopped=False).update(
            raised_at=now, raise_at=None
        ),
    }
    just = SlaClock.objects.filter(state="breached", breach_notified_at=now).values("ticket_id")
    Ticket.objects.filter(pk__in=just).update(breached=True)  # as the sweep does (escalation.breach)
    return done


def make_due(now, k: int, rng: random.Random) -> int:
    """Make k running clocks of k distinct tickets due at ``now``: half of them reach 75 % (a warning), half
    are past their due instant (a breach), none notified yet. Ticket.next_due_at follows."""
    from django.db.models import Min

    from guichet.tickets.models import SlaClock, Ticket

    if k == 0:
        return 0
    later = now + dt.timedelta(hours=2)
    candidates = list(
        SlaClock.objects.filter(state="running", stopped=False, warn_at__gt=later, warned_at__isnull=True)
        .values_list("pk", "ticket_id")
        .order_by("pk")
    )
    rng.shuffle(candidates)
    chosen, seen = [], set()
    for pk, tid in candidates:
        if tid not in seen:
            seen.add(tid)
            chosen.append((pk, tid))
        if len(chosen) == k:
            break
    warn, breach = chosen[: k // 2], chosen[k // 2 :]
    for i in range(0, len(warn), 500):
        SlaClock.objects.filter(pk__in=[pk for pk, _ in warn[i : i + 500]]).update(
            warn_at=now - dt.timedelta(minutes=1)
        )
    for i in range(0, len(breach), 500):
        SlaClock.objects.filter(pk__in=[pk for pk, _ in breach[i : i + 500]]).update(
            warn_at=now - dt.timedelta(hours=2), due_at=now - dt.timedelta(minutes=1)
        )
    ids = [tid for _, tid in breach]
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        dues = dict(
            SlaClock.objects.filter(ticket_id__in=part, stopped=False, due_at__isnull=False)
            .values("ticket_id")
            .annotate(d=Min("due_at"))
            .values_list("ticket_id", "d")
        )
        for tid in part:
            Ticket.objects.filter(pk=tid).update(next_due_at=dues[tid])
    return len(chosen)


def sweep_phase(world) -> list[dict]:
    import importlib

    from django.db import connection

    from guichet.tickets.models import Notification

    sweep = importlib.import_module("guichet.tickets.escalation").sweep
    rng = random.Random(7)
    out: list[dict] = []
    for label, k in (("nothing due", 0), ("~10 due", 10), ("~1,000 due", 1000)):
        now = dt.datetime.now(UTC)
        settled = settle(now)
        if any(settled.values()):
            say(f"   (became due since the last step, stamped first: {settled})")
        made = make_due(now, k, rng)
        before = Notification.objects.count()
        if k == 0:
            (res, seconds), queries = captured(lambda now=now: timed_call(sweep, now))
        else:
            res, seconds = timed_call(sweep, now)
        notes = Notification.objects.count() - before
        base = out[0]["ms"] if out else 0.0
        row = {
            "label": label,
            "escalated": made,
            "ms": seconds * 1e3,
            "ms_per_ticket": seconds * 1e3 / made if made else 0.0,
            "marginal_ms_per_ticket": (seconds * 1e3 - base) / made if made else 0.0,
            "result": res,
            "notifications": notes,
        }
        out.append(row)
        per = ""
        if made:
            per = (
                f", {row['ms_per_ticket']:.2f} ms per ticket ({row['marginal_ms_per_ticket']:.2f} ms above "
                "the nothing-due sweep)"
            )
        say(
            f"   sweep, {label:<11}: {seconds * 1e3:8.1f} ms  {res}  {made} tickets made due, "
            f"{notes} notifications{per}"
        )
        if k == 0:
            say("   its statements with nothing due, and their plans:")
            for sql, params, sec in queries:
                if sql.lstrip().upper().startswith("SELECT"):
                    say(f"     {sec * 1e3:7.2f} ms  {short(sql, 400)}")
                    say(explain(sql, params, full=False))
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return out


def timed_call(fn, now):
    t0 = time.perf_counter()
    res = fn(now=now)
    return res, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------- api


def api_phase(world, args) -> list[dict]:
    from django.db import connection

    from guichet.customers.tokens import token_create

    _, token = token_create(user=world.api_user, name="bench")
    profile_creation(world, token)
    connection.close()
    out = []
    for label, extra in (
        ("DEBUG=1", {"DEBUG": "1"}),
        ("DEBUG=0", PRODUCTION),
    ):
        out.append(run_gunicorn(label, extra, token, args))
    # The ceiling of this machine and stack: a request that authenticates its token and reads one row.
    with gunicorn(PRODUCTION) as port:
        run_load(port, token, 40, args.api_clients, 30, path="/api/v1/me")
        r = run_load(port, token, args.api_requests, args.api_clients, args.api_seconds, path="/api/v1/me")
    r["label"] = f"baseline GET /api/v1/me, gunicorn -w 2 (sync), {args.api_clients} clients, DEBUG=0"
    say(
        f"   {r['label']}: {r['rate']:.0f} requests/s; latency p50 {r['p50']:.1f} / p95 {r['p95']:.1f} ms; "
        f"not 200: {r['non_201']}"
    )
    out.append(r)
    return out


def profile_creation(world, token: str, n: int = 100) -> None:
    """In-process (no HTTP): where one POST /api/v1/tickets spends its time, by query."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(11)

    def one():
        return client.post("/api/v1/tickets", api_body(rng), content_type="application/json")

    for _ in range(5):
        one()
    by_sql: dict[str, list[float]] = defaultdict(list)
    total = 0.0
    queries = 0
    prof = cProfile.Profile()
    failed: Counter = Counter()
    for i in range(n):
        t0 = time.perf_counter()
        if i == n - 1:
            prof.enable()
        resp, captured_q = captured(one)
        if i == n - 1:
            prof.disable()
        total += time.perf_counter() - t0
        if resp.status_code != 201:
            failed[resp.status_code] += 1
            if sum(failed.values()) == 1:
                say(f"   !! POST /api/v1/tickets answered {resp.status_code}: {resp.content[:300]!r}")
        queries += len(captured_q)
        for sql, _, sec in captured_q:
            by_sql[short(sql, 400)].append(sec)
    sql_time = sum(sum(v) for v in by_sql.values())
    say(
        f"   in-process POST /api/v1/tickets (no HTTP): {total / n * 1e3:.2f} ms per request, "
        f"{queries / n:.0f} statements, {sql_time / n * 1e3:.2f} ms of them in SQL"
        + (f"; FAILED: {dict(failed)}" if failed else "")
    )
    say("   the costliest statements (ms per request):")
    for key, secs in sorted(by_sql.items(), key=lambda kv: -sum(kv[1]))[:6]:
        say(f"     {sum(secs) / n * 1e3:6.2f} ms  x{len(secs) / n:.0f}  {key[:160]}")
    stats = pstats.Stats(prof)
    rows = []
    for (file, _, func), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/guichet/" in file:
            rows.append((cum, f"{Path(file).parent.name}/{Path(file).name}:{func}"))
    rows.sort(reverse=True)
    say("   Guichet functions by cumulative time in one request (cProfile):")
    for cum, name in rows[:8]:
        say(f"     {cum * 1e3:6.2f} ms  {name}")
    # What if the creation answer did not score possible duplicates? (patched in this process only)
    from unittest import mock

    with mock.patch("guichet.api.tickets._duplicates", lambda *a, **k: []):
        t0 = time.perf_counter()
        codes = Counter(one().status_code for _ in range(n))
        took = (time.perf_counter() - t0) / n
    say(
        f"   the same without scoring possible duplicates (api.tickets._duplicates patched out here): "
        f"{took * 1e3:.2f} ms per request {dict(codes)}"
    )


def api_body(rng: random.Random) -> str:
    problem = rng.choice(PROBLEMS)
    return json.dumps(
        {
            "subject": f"{problem} — {rng.choice(SITES)}",
            "description": f"{problem} {rng.choice(DETAILS)}. Please call back.",
            "category": "request",
        }
    )


@contextlib.contextmanager
def gunicorn(extra: dict):
    """gunicorn with the project's gunicorn.conf.py (read from the working directory), 2 sync workers."""
    port = free_port()
    env = dict(os.environ)
    env.update(extra)
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    env["WEB_CONCURRENCY"] = "2"
    exe = Path(sys.executable).parent / "gunicorn"
    cmd = [str(exe), "--threads", "1", "--log-level", "warning", "guichet.wsgi:application"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_ready(port, proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "SECURE_SSL_REDIRECT": "0"}


def run_gunicorn(label: str, extra: dict, token: str, args) -> dict:
    with gunicorn(extra) as port:
        run_load(port, token, 40, args.api_clients, 30)  # warm-up: both workers connected, code loaded
        r = run_load(port, token, args.api_requests, args.api_clients, args.api_seconds)
    r["label"] = f"POST /api/v1/tickets, gunicorn -w 2 (sync), {args.api_clients} clients, {label}"
    say(
        f"   API create, {r['label']}: {r['done']:,} requests in {r['seconds']:.1f} s = {r['rate']:.0f} "
        f"tickets/s; latency p50 {r['p50']:.1f} / p95 {r['p95']:.1f} / max {r['max']:.1f} ms; non-201: "
        f"{r['non_201']} {dict(r['codes'])}"
    )
    return r


def http_queue_phase(world, reps: int) -> dict:
    """The first page as a client gets it: GET /api/v1/tickets?status=<open ones> from gunicorn
    (production settings), one request at a time on a keep-alive connection, for each user."""
    import http.client

    from django.db import connection

    from guichet.customers.tokens import token_create
    from guichet.tickets.models import OPEN_STATUSES

    tokens = {
        key: token_create(user=user, name="bench-queue")[1]
        for key, user in (("supervisor", world.supervisor), ("agent", world.agent))
    }
    connection.close()
    path = "/api/v1/tickets?limit=50&" + "&".join(f"status={s}" for s in OPEN_STATUSES)
    out = {}
    with gunicorn(PRODUCTION) as port:
        for key, token in tokens.items():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Authorization": f"Bearer {token}"}
            times = []
            for i in range(reps + 20):  # the first 20 warm both workers up
                t0 = time.perf_counter()
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                if i >= 20:
                    times.append(time.perf_counter() - t0)
                if resp.status != 200 or len(json.loads(body)) != 50:
                    raise RuntimeError(f"GET {path} as {key}: {resp.status} {body[:200]!r}")
            conn.close()
            out[key] = {"p50": pct(times, 0.5) * 1e3, "p95": pct(times, 0.95) * 1e3, "max": max(times) * 1e3}
            r = out[key]
            say(
                f"   {key} over HTTP (gunicorn, DEBUG=0, {len(body):,} bytes of JSON): p50 {r['p50']:.2f} / "
                f"p95 {r['p95']:.2f} / max {r['max']:.2f} ms ({reps} requests)"
            )
    return out


def wait_ready(port: int, proc) -> None:
    import http.client

    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def run_load(
    port: int, token: str, total: int, clients: int, seconds: float, path: str = "/api/v1/tickets"
) -> dict:
    """``clients`` keep-alive connections sending requests until ``total`` or ``seconds``: POSTs of new
    tickets to /api/v1/tickets, or GETs of any other ``path`` (what the machine does with a request that
    does next to nothing)."""
    import http.client

    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    codes: Counter = Counter()
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if issued[0] >= total or time.perf_counter() > deadline:
                    break
                issued[0] += 1
            post = path == "/api/v1/tickets"
            body = api_body(rng) if post else None
            t0 = time.perf_counter()
            try:
                conn.request("POST" if post else "GET", path, body, headers)
                resp = conn.getresponse()
                resp.read()
                code = resp.status
            except (OSError, http.client.HTTPException) as exc:
                code = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            lat = time.perf_counter() - t0
            with lock:
                latencies.append(lat)
                codes[code] += 1
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    done = len(latencies)
    return {
        "done": done,
        "seconds": elapsed,
        "rate": done / elapsed if elapsed else 0.0,
        "p50": pct(latencies, 0.5) * 1e3,
        "p95": pct(latencies, 0.95) * 1e3,
        "max": max(latencies) * 1e3 if latencies else 0.0,
        "mean": statistics.fmean(latencies) * 1e3 if latencies else 0.0,
        "non_201": done - codes.get(201 if path == "/api/v1/tickets" else 200, 0),
        "codes": {str(k): v for k, v in codes.items()},
    }


if __name__ == "__main__":
    raise SystemExit(main())
