"""Benchmark: a mixed load on the production shape, with the 1,000,000-ticket data set on PostgreSQL.

Run:  .venv/bin/python bench/load.py [--duration 600] [--customer-rate 6] [--agent-rate 6] [--mail-rate 1]
                                     [--tickets 1000000] [--keep DIR]

1. A private PostgreSQL cluster (in DIR with --keep, reused by later runs: loading takes ~10 minutes) gets
   bench/pages.py's data set: bench/tickets.py's tickets (default 1,000,000, a tenth open, 20 organisations,
   6 teams) plus subscriptions, outages, invoices, claims; and a mailbox for inbound mail.
2. Before each run: sessions and API tokens for 40 contacts and the 12 agents; 2,000 open clocks given
   warning and due instants spread over the run (so the escalation sweep has work whose lateness can be
   measured); one sweep to catch up with what fell due since the data set was made.
3. `guichet-production` starts the shape under test on that database: gunicorn with 2 web workers, 2 task
   workers (with their schedulers: the minutely escalation sweep among them), the SMTP receiver.
4. For --duration seconds this process sends an open-loop load (Poisson arrivals at the given rates, so a
   slow answer does not slow the arrivals; latency counted from the planned instant):
   - customers (contacts, session for pages, token for the API): their ticket list page, a ticket's page,
     the API list, a ticket through the API, opening a ticket, replying;
   - agents: their team's queue page, a ticket's page in the console, a public reply, a change (read then
     PATCH with the version, as the console does);
   - inbound mail over SMTP to the receiver: replies to existing tickets and new requests from contacts.
5. Report: per endpoint the requests, errors, throughput and p50/p95/p99 latency; the mails accepted and
   filed; the escalation delay (instant it fired minus the instant it was due) of the warnings and breach
   notices that fell due during the run; the task queue's age at the end.

Figures go to docs/performance.md ("Mixed load on the production shape").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import random
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from benchkit import PgCluster, free_port, machine  # noqa: E402 - bench/ is first on sys.path

MAILBOX = "support@bench.example"
SEEDED_CLOCKS = 2000


def say(*args) -> None:
    print(*args, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    p.add_argument("--customer-rate", type=float, default=6.0, help="customer requests per second")
    p.add_argument("--agent-rate", type=float, default=6.0, help="agent requests per second")
    p.add_argument("--mail-rate", type=float, default=1.0, help="inbound mails per second")
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=48, help="load generator threads")
    p.add_argument("--keep", help="keep (and reuse) the loaded PostgreSQL cluster in this directory")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--prepare-only", action="store_true", help="load the data set into --keep DIR and stop")
    p.add_argument("--child", choices=["prepare", "fixtures", "report"], help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--since", help=argparse.SUPPRESS)
    p.add_argument("--until", help=argparse.SUPPRESS)
    p.add_argument("--tag", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ------------------------------------------------------------------------------------------ children
# Each runs in its own process with DATABASE_URL set, so that this process never imports Django.


def child_main(args) -> int:
    import django

    django.setup()
    result: dict = {}
    try:
        {"prepare": prepare, "fixtures": fixtures, "report": report}[args.child](args, result)
    finally:
        Path(args.result).write_text(json.dumps(result, indent=1, default=str))
    return 0


def prepare(args, result: dict) -> None:
    """Migrate and load the data set, once per cluster."""
    import pages  # bench/pages.py: its data set (bench/tickets.py's tickets, contracts, invoices, ...)
    from django.core.management import call_command

    from guichet.channels.models import Mailbox

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    pages.load(argparse.Namespace(tickets=args.tickets, open=args.tickets // 10, seed=args.seed), result)
    Mailbox.objects.create(name="Bench support", address=MAILBOX, new_tickets_per_hour=100_000)
    result["load_seconds"] = round(time.perf_counter() - t0, 1)


def fixtures(args, result: dict) -> None:
    """Credentials for the load, escalation work spread over the run, and a catch-up sweep."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.db.models import F

    from guichet.customers.models import Contact, Team, User
    from guichet.customers.tokens import token_create
    from guichet.tickets import escalation
    from guichet.tickets.models import SlaClock, Ticket

    rng = random.Random(args.seed)

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    customers = []
    for contact in Contact.objects.select_related("user", "organisation").order_by("pk")[:40]:
        refs = list(
            Ticket.objects.filter(organisation=contact.organisation, status__in=["new", "open", "pending"])
            .order_by("-opened_at")
            .values_list("reference", flat=True)[:50]
        )
        _, token = token_create(user=contact.user)
        customers.append(
            {"email": contact.user.email, "session": session_for(contact.user), "token": token, "refs": refs}
        )
    agents = []
    for team in Team.objects.order_by("pk"):
        refs = list(
            Ticket.objects.filter(team=team, status__in=["new", "open"])
            .order_by("next_due_at")
            .values_list("reference", flat=True)[:200]
        )
        for user in team.members.filter(kind=User.Kind.AGENT):
            _, token = token_create(user=user)
            agents.append({"team": team.pk, "session": session_for(user), "token": token, "refs": refs})
    t0 = time.perf_counter()
    result["catch_up"] = escalation.sweep()
    result["catch_up_seconds"] = round(time.perf_counter() - t0, 1)
    start = dt.datetime.fromisoformat(args.since)
    span = (dt.datetime.fromisoformat(args.until) - start).total_seconds()
    ids = list(
        SlaClock.objects.filter(stopped=False, state="running", ticket__status="open")
        .values_list("pk", flat=True)
        .order_by("?")[:SEEDED_CLOCKS]
    )
    with transaction.atomic():
        for n, pk in enumerate(ids):
            due = start + dt.timedelta(seconds=30 + rng.random() * (span - 60))
            # Half get their warning during the run, half their breach notice.
            if n % 2:
                SlaClock.objects.filter(pk=pk).update(
                    warn_at=due, due_at=due + dt.timedelta(hours=6), warned_at=None, breach_notified_at=None
                )
            else:
                SlaClock.objects.filter(pk=pk).update(
                    warn_at=due - dt.timedelta(hours=1),
                    warned_at=F("evaluated_at"),
                    due_at=due,
                    breach_notified_at=None,
                )
    result.update(customers=customers, agents=agents, seeded=len(ids))


def report(args, result: dict) -> None:
    from django.db.models import Count, F

    from guichet.channels.models import InboundMail
    from guichet.tickets.models import SlaClock, Ticket

    since = dt.datetime.fromisoformat(args.since)
    until = dt.datetime.fromisoformat(args.until)
    delays = {}
    for step, instant, fired in (
        ("warning", "warn_at", "warned_at"),
        ("breach", "due_at", "breach_notified_at"),
    ):
        rows = SlaClock.objects.filter(**{f"{instant}__gte": since, f"{instant}__lt": until}).annotate(
            fired=F(fired), instant=F(instant)
        )
        seconds = [(r.fired - r.instant).total_seconds() for r in rows.only("pk") if r.fired is not None]
        unfired = sum(1 for r in rows.only("pk") if r.fired is None)
        delays[step] = {"fired": len(seconds), "not_fired": unfired, **_stats(seconds)}
    result["escalation_delay"] = delays
    filed = InboundMail.objects.filter(message_id__contains=f"load-{args.tag}-")
    result["mails_filed"] = filed.count()
    result["mails_filed_by_outcome"] = dict(filed.values_list("outcome").annotate(n=Count("pk")))
    result["tickets_opened"] = Ticket.objects.filter(opened_at__gte=since).count()


# ------------------------------------------------------------------------------------------ the load


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.samples[name].append(seconds)
            if error:
                self.errors[name].append(error)


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p):
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "p50": round(q(0.50), 4),
        "p95": round(q(0.95), 4),
        "p99": round(q(0.99), 4),
        "max": round(ordered[-1], 4),
        "mean": round(statistics.fmean(ordered), 4),
    }


class Load:
    def __init__(self, args, base: str, mail_port: int, creds: dict, tag: str):
        self.args = args
        self.base = base
        self.mail_port = mail_port
        self.customers = creds["customers"]
        self.agents = creds["agents"]
        self.rng = random.Random(args.seed)
        self.tag = tag
        self.mail_number = 0
        self.rec = Recorder()
        self.jobs: queue.Queue = queue.Queue()

    # -- HTTP
    def _http(self, name, method, path, who, api=False, body=None, planned=None) -> dict | None:
        headers = {"Accept": "application/json" if api else "text/html"}
        if api:
            headers["Authorization"] = f"Bearer {who['token']}"
        else:
            headers["Cookie"] = f"sessionid={who['session']}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        error, payload = None, None
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                if api and raw:
                    payload = json.loads(raw)
        except urllib.error.HTTPError as exc:
            exc.read()
            if not (
                exc.code == 409 and name == "api change ticket"
            ):  # a lost race is an answer, not an error
                error = f"HTTP {exc.code}"
        except OSError as exc:
            error = type(exc).__name__
        self.rec.add(name, time.perf_counter() - planned, error)
        return payload

    def customer(self, planned: float) -> None:
        rng = self.rng
        who = rng.choice(self.customers)
        ref = rng.choice(who["refs"]) if who["refs"] else None
        roll = rng.random()
        if roll < 0.25:
            self._http("page extranet ticket list", "GET", "/extranet/tickets/", who, planned=planned)
        elif roll < 0.50 and ref:
            self._http("page extranet ticket", "GET", f"/extranet/tickets/{ref}/", who, planned=planned)
        elif roll < 0.65:
            self._http("api list tickets", "GET", "/api/v1/tickets", who, api=True, planned=planned)
        elif roll < 0.75 and ref:
            self._http("api read ticket", "GET", f"/api/v1/tickets/{ref}", who, api=True, planned=planned)
        elif roll < 0.88:
            body = {
                "subject": f"Line {rng.randrange(10_000):04d} has no dial tone",
                "description": "Since this morning the phones of the second floor give no dial tone.",
                "category": rng.choice(["incident", "request"]),
                "priority": rng.choice(["medium", "high", "urgent"]),
            }
            made = self._http(
                "api open ticket", "POST", "/api/v1/tickets", who, api=True, body=body, planned=planned
            )
            if made and "reference" in made:
                who["refs"].append(made["reference"])
        elif ref:
            body = {"body": "Any news? The line is still down."}
            self._http(
                "api reply (customer)", "POST", f"/api/v1/tickets/{ref}/replies", who, True, body, planned
            )

    def agent(self, planned: float) -> None:
        rng = self.rng
        who = rng.choice(self.agents)
        ref = rng.choice(who["refs"]) if who["refs"] else None
        roll = rng.random()
        if roll < 0.35:
            self._http("page console queue", "GET", f"/console/?team={who['team']}", who, planned=planned)
        elif roll < 0.65 and ref:
            self._http("page console ticket", "GET", f"/console/tickets/{ref}/", who, planned=planned)
        elif roll < 0.85 and ref:
            body = {"body": "We are looking into it and will call you back within the hour."}
            self._http(
                "api reply (agent)", "POST", f"/api/v1/tickets/{ref}/replies", who, True, body, planned
            )
        elif ref:
            got = self._http(
                "api read ticket (agent)", "GET", f"/api/v1/tickets/{ref}", who, True, None, planned
            )
            if got:
                body = {"version": got["version"], "priority": rng.choice(["medium", "high"])}
                self._http(
                    "api change ticket",
                    "PATCH",
                    f"/api/v1/tickets/{ref}",
                    who,
                    True,
                    body,
                    time.perf_counter(),
                )

    def mail(self, planned: float) -> None:
        rng = self.rng
        who = rng.choice(self.customers)
        msg = EmailMessage()
        msg["From"] = who["email"]
        msg["To"] = MAILBOX
        with self.rec.lock:
            self.mail_number += 1
            number = self.mail_number
        # Unique across runs on the same --keep data set: a Message-ID seen before is a duplicate, which the
        # receiver acknowledges without filing it again.
        msg["Message-ID"] = f"<load-{self.tag}-{number}@bench.example>"
        if who["refs"] and rng.random() < 0.6:
            msg["Subject"] = f"Re: [{rng.choice(who['refs'])}] our line"
            msg.set_content("Hello,\n\nStill no dial tone here. Please call us.\n\nRegards")
        else:
            msg["Subject"] = f"Fax line {rng.randrange(1000)} drops calls"
            msg.set_content("Hello,\n\nOur fax line drops every call after a minute.\n\nRegards")
        error = None
        try:
            with smtplib.SMTP("127.0.0.1", self.mail_port, timeout=30) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            error = type(exc).__name__
        self.rec.add("smtp inbound mail", time.perf_counter() - planned, error)

    # -- the open loop
    def run(self, duration: float) -> float:
        stop = threading.Event()

        def worker():
            while True:
                item = self.jobs.get()
                if item is None:
                    return
                kind, planned = item
                try:
                    getattr(self, kind)(planned)
                except Exception as exc:  # the report shows it; the load goes on
                    self.rec.add(f"{kind} (generator)", 0.0, repr(exc))

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.args.threads)]
        for t in threads:
            t.start()
        rates = [
            ("customer", self.args.customer_rate),
            ("agent", self.args.agent_rate),
            ("mail", self.args.mail_rate),
        ]
        total = sum(r for _, r in rates)
        t0 = time.perf_counter()
        next_at = t0
        last_print = t0
        while not stop.is_set():
            next_at += self.rng.expovariate(total)
            if next_at - t0 >= duration:
                break
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            roll = self.rng.random() * total
            chosen = rates[-1][0]
            for kind, rate in rates:
                if roll < rate:
                    chosen = kind
                    break
                roll -= rate
            self.jobs.put((chosen, next_at))
            if time.perf_counter() - last_print > 60:
                last_print = time.perf_counter()
                done = sum(len(v) for v in self.rec.samples.values())
                say(f"  {last_print - t0:5.0f} s: {done} done, {self.jobs.qsize()} waiting in the generator")
        for _ in threads:
            self.jobs.put(None)
        for t in threads:
            t.join(timeout=60)
        return time.perf_counter() - t0


# ------------------------------------------------------------------------------------------ parent


class OutboundSink:
    """A real SMTP server (aiosmtpd) the production shape sends its mail to: acknowledgements, replies,
    escalation notices. It counts them."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.count = 0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.count += 1
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def run_child(kind: str, env: dict, args, **extra) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    argv = [sys.executable, __file__, "--child", kind, "--result", str(out), "--tickets", str(args.tickets)]
    argv += ["--seed", str(args.seed)]
    for key, value in extra.items():
        argv += [f"--{key}", value]
    rc = subprocess.run(argv, env=env, cwd=ROOT, check=False).returncode
    result = json.loads(out.read_text() or "{}")
    out.unlink()
    if rc != 0:
        raise SystemExit(f"bench/load.py: the {kind} step failed (exit code {rc})")
    return result


def wait_ready(base: str, launcher: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            raise SystemExit("bench/load.py: guichet-production exited before it was ready")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("bench/load.py: guichet-production was not ready in time")


def wait_escalations_fired(base: str, seconds: float) -> float:
    """Poll /metrics until no warning or breach notice is due and not fired; returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            lines = r.read().decode().splitlines()
        due = [line for line in lines if line.startswith("guichet_escalations_due{")]
        if due and all(float(line.rpartition(" ")[2]) == 0 for line in due):
            return time.monotonic() - t0
        time.sleep(2)
    return time.monotonic() - t0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    say(machine())
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="guichet-bench-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    cluster = PgCluster(workdir / "pg", options="-c max_connections=200 -c shared_buffers=512MB")
    launcher = outbound = None
    try:
        cluster.start()
        say(f"== PostgreSQL {cluster.version()} in {cluster.datadir}, port {cluster.port}")
        env = dict(os.environ, DATABASE_URL=cluster.url, DEBUG="1", DJANGO_SETTINGS_MODULE="guichet.settings")
        env["GUICHET_VAR_DIR"] = str(workdir / "var")
        env["PYTHONPATH"] = f"{ROOT / 'bench'}:{ROOT}"
        loaded = workdir / "loaded.json"
        if not loaded.exists():
            say(f"== loading {args.tickets:,} tickets (once per --keep directory)")
            loaded.write_text(json.dumps(run_child("prepare", env, args)))
        say(f"== data set: {json.loads(loaded.read_text()).get('load_seconds')} s to load")
        if args.prepare_only:
            return 0
        run_start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)  # fixtures and start-up come first
        run_end = run_start + dt.timedelta(seconds=args.duration)
        creds = run_child("fixtures", env, args, since=run_start.isoformat(), until=run_end.isoformat())
        say(f"== catch-up sweep {creds['catch_up']} in {creds['catch_up_seconds']} s")
        say(f"== {creds['seeded']} clocks given instants during the run")

        port, mail_port = free_port(), free_port()
        prod_env = {k: v for k, v in env.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
        prod_env["LOG_LEVEL"] = "WARNING"
        outbound = OutboundSink()
        prod_env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(outbound.port))
        argv = [
            sys.executable,
            "-m",
            "guichet.ops.production",
            "--plain-http",
            "--var-dir",
            str(workdir / "var"),
        ]
        launcher = subprocess.Popen(
            [*argv, "--bind", f"127.0.0.1:{port}", "--mail-port", str(mail_port)],
            env=prod_env,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, launcher)
        pause = (run_start - dt.datetime.now(dt.UTC)).total_seconds()
        if pause > 0:
            time.sleep(pause)
        say(
            f"== load: {args.duration:.0f} s, customers {args.customer_rate}/s, agents {args.agent_rate}/s, "
            f"mail {args.mail_rate}/s (open loop, Poisson)"
        )
        tag = run_start.strftime("%Y%m%d%H%M%S")
        load = Load(args, base, mail_port, creds, tag)
        elapsed = load.run(args.duration)
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            metrics = r.read().decode()
        # The instants of the run's last minute wait for the next minutely sweep: let it come (the shape
        # stays up, idle) so that every escalation due during the run is measured.
        drained = wait_escalations_fired(base, 150)
        say(f"== escalations due during the run all fired {drained:.0f} s after the load stopped")
        final = run_child(
            "report", env, args, since=run_start.isoformat(), until=run_end.isoformat(), tag=load.tag
        )
    finally:
        if outbound is not None:
            outbound.stop()
        if launcher is not None and launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            try:
                launcher.wait(timeout=60)
            except subprocess.TimeoutExpired:
                launcher.kill()
        cluster.stop(remove=False)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    summary(load, elapsed, final, metrics)
    say(f"outbound mails delivered to the SMTP server: {outbound.count}")
    return 0


def summary(load: Load, elapsed: float, final: dict, metrics: str) -> None:
    say(f"\n== {elapsed:.0f} s of load")
    heads = ["requests", "errors", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    say(f"{'endpoint':32} " + " ".join(f"{h:>8}" for h in heads))
    total = errors = 0
    for name in sorted(load.rec.samples):
        values = load.rec.samples[name]
        s = _stats(values)
        n_err = len(load.rec.errors[name])
        total += len(values)
        errors += n_err
        say(
            f"{name:32} {len(values):8} {n_err:8} {len(values) / elapsed:8.2f} {s['p50'] * 1000:8.0f} "
            f"{s['p95'] * 1000:8.0f} {s['p99'] * 1000:8.0f} {s['max'] * 1000:8.0f}"
        )
    say(f"{'all':32} {total:8} {errors:8} {total / elapsed:8.2f}")
    for name, errs in load.rec.errors.items():
        if errs:
            kinds = defaultdict(int)
            for e in errs:
                kinds[e] += 1
            say(f"  errors of {name}: {dict(kinds)}")
    sent = len(load.rec.samples["smtp inbound mail"])
    say(f"mails sent {sent}, filed {final['mails_filed']} {final['mails_filed_by_outcome']}")
    say(f"tickets opened during the run (API and mail): {final['tickets_opened']}")
    for step, d in final["escalation_delay"].items():
        say(
            f"escalation delay, {step}: {d['fired']} fired, {d['not_fired']} not fired by the end; "
            f"p50 {d.get('p50', 0):.0f} s, p95 {d.get('p95', 0):.0f} s, max {d.get('max', 0):.0f} s"
        )
    for line in metrics.splitlines():
        if line.startswith(("guichet_task_queue_oldest_age_seconds", "guichet_escalation_lag_seconds")):
            say(f"at the end: {line}")


if __name__ == "__main__":
    sys.exit(main())
