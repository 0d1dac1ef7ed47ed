"""Benchmark: Guichet's business-time engine against the ``businesstimedelta`` package.

Run:  .venv/bin/python bench/businesstime.py [--quick] [--seed N]

Both libraries get the same inputs: opening hours Mon-Fri 08:00-18:00 in Europe/Luxembourg with
Luxembourg's public holidays for 2026-2027 (from the ``holidays`` package; Guichet's engine is given
``country="LU"``, businesstimedelta a ``HolidayRule`` with the same dates), start instants spread
over 2026 (whole seconds, seeded), durations of 1 to 96 hours (whole minutes, seeded).

``elapsed`` is timed on the same (start, duration) inputs: from each start to the instant ``duration``
business hours later (the clock question "how much of the target is used up"), whose spans reach two
weeks or more of real time. A second line times it over real-time spans of 1 to 96 hours, which favours
the peer (it walks fewer days).

businesstimedelta works with pytz time zones; it gets pytz-localized starts for the same instants.
It is slow, so it is timed on a prefix of the inputs and reported in operations per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import operator
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import businesstimedelta as btd
import holidays
import pytz
from benchkit import cpu_model

from guichet.businesstime import BusinessCalendar

TZ = "Europe/Luxembourg"
SPEC = "Mon-Fri 08:00-18:00"


def build_inputs(n: int, seed: int):
    """n (start, duration) pairs for add and n (start, end) pairs for elapsed, all in UTC."""
    rng = random.Random(seed)
    year_start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    year_seconds = 365 * 86_400
    starts = [year_start + dt.timedelta(seconds=rng.randrange(year_seconds)) for _ in range(n)]
    durations = [dt.timedelta(minutes=rng.randint(60, 96 * 60)) for _ in range(n)]
    spans = [dt.timedelta(minutes=rng.randint(60, 96 * 60)) for _ in range(n)]
    return starts, durations, [s + span for s, span in zip(starts, spans, strict=True)]


def make_engine() -> BusinessCalendar:
    return BusinessCalendar(SPEC, TZ, country="LU")


def make_peer(closed_dates: set[dt.date]):
    tz = pytz.timezone(TZ)
    workday = btd.WorkDayRule(
        start_time=dt.time(8), end_time=dt.time(18), working_days=[0, 1, 2, 3, 4], tz=tz
    )
    holiday_rule = btd.HolidayRule(closed_dates, tz=tz)
    return btd.Rules([workday, holiday_rule]), tz


def timed(fn: Callable[[object, object], object], firsts: Sequence, seconds: Sequence) -> float:
    """Seconds to call fn(a, b) over the pairs: a bare loop, so that the harness costs as little as possible
    next to the fastest library."""
    pairs = list(zip(firsts, seconds, strict=True))
    t0 = time.perf_counter()
    for a, b in pairs:
        fn(a, b)
    return time.perf_counter() - t0


def fmt_rate(ops: int, seconds: float) -> str:
    return f"{ops / seconds:>12,.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N (10,000 engine / 500 peer ops)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    n = 10_000 if args.quick else 100_000
    n_peer = 500 if args.quick else 5_000
    n_check = 200 if args.quick else 500
    n_cost = 5_000 if args.quick else 20_000

    starts_utc, durations, ends_utc = build_inputs(n, args.seed)
    lux = ZoneInfo(TZ)

    # Same holidays for both: Luxembourg 2026-2027.
    lu = holidays.country_holidays("LU", years=[2026, 2027])
    closed = set(lu.keys())

    engine = make_engine()
    peer, peer_tz = make_peer(closed)

    # Engine inputs: ZoneInfo-aware; peer inputs: pytz-aware (same instants).
    e_starts = [s.astimezone(lux) for s in starts_utc]
    e_ends = [e.astimezone(lux) for e in ends_utc]
    p_starts = [s.astimezone(peer_tz) for s in starts_utc[:n_peer]]
    p_ends = [e.astimezone(peer_tz) for e in ends_utc[:n_peer]]
    p_deltas = [btd.BusinessTimeDelta(peer, timedelta=d) for d in durations[:n_peer]]

    print("Business-time benchmark: Guichet engine vs businesstimedelta")
    print(f"  date      : {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"  python    : {sys.version.split()[0]} ({platform.python_implementation()})")
    print(
        f"  machine   : {platform.machine()} / {cpu_model()} / "
        f"{' '.join(platform.uname()[:3])} / {os.cpu_count()} CPUs"
    )
    print(
        f"  packages  : businesstimedelta {version('businesstimedelta')}, holidays {version('holidays')}, "
        f"pytz {version('pytz')}"
    )
    print(f"  calendar  : {SPEC!r} {TZ}, LU holidays 2026-2027 ({len(closed)} dates)")
    print(
        f"  inputs    : {n:,} starts over 2026 (seed {args.seed}), durations/spans 1-96 h; "
        f"peer timed on the first {n_peer:,}"
    )
    print()

    # Warm up (the engine builds its tables lazily; the peer has nothing to build).
    t_first = time.perf_counter()
    engine.add(e_starts[0], durations[0])
    t_first = time.perf_counter() - t_first
    for i in range(200):
        engine.add(e_starts[i], durations[i])
        engine.elapsed(e_starts[i], e_ends[i])
    for i in range(20):
        _ = p_starts[i] + p_deltas[i]
        peer.difference(p_starts[i], p_ends[i])

    # The business-duration ends: start + duration in business time (checked below against the peer).
    b_ends = [engine.add(s, d) for s, d in zip(e_starts, durations, strict=True)]
    pb_ends = [e.astimezone(peer_tz) for e in b_ends[:n_peer]]

    e_add = timed(engine.add, e_starts, durations)
    e_bel = timed(engine.elapsed, e_starts, b_ends)
    e_el = timed(engine.elapsed, e_starts, e_ends)
    p_add = timed(operator.add, p_starts, p_deltas)  # pytz datetime + BusinessTimeDelta
    p_bel = timed(peer.difference, p_starts, pb_ends)
    p_el = timed(peer.difference, p_starts, p_ends)

    print(
        f"{'operation':<10} {'Guichet ops/s':>14} {'btd ops/s':>12} {'ratio':>8}   (ops timed: Guichet / btd)"
    )
    rows = (("add", e_add, p_add), ("elapsed", e_bel, p_bel), ("elapsed*", e_el, p_el))
    for name, e_sec, p_sec in rows:
        ratio = (n / e_sec) / (n_peer / p_sec)
        print(
            f"{name:<10} {fmt_rate(n, e_sec):>14} {fmt_rate(n_peer, p_sec):>12} {ratio:>7.1f}x"
            f"   ({n:,} / {n_peer:,})"
        )
    print("elapsed  : from each start to start + duration in business time (the same inputs as add)")
    print("elapsed* : over real-time spans of 1-96 h instead")
    print(f"(first engine call, including its lazy table build: {t_first * 1e3:.2f} ms)")
    print()

    # Engine cost per add by duration, same start instants.
    print(f"Guichet add cost by duration ({n_cost:,} adds each, same starts):")
    for hours in (1, 96):
        d = dt.timedelta(hours=hours)
        sec = timed(engine.add, e_starts[:n_cost], [d] * n_cost)
        print(f"  {hours:>3} h : {sec / n_cost * 1e6:7.2f} µs/op")
    print()

    # Cross-check on a sample: same instants from both libraries?
    add_mismatch: list[tuple] = []
    el_mismatch: list[tuple] = []
    for i in range(min(n_check, n_peer)):
        mine = engine.add(e_starts[i], durations[i])
        theirs = p_starts[i] + p_deltas[i]
        if mine.astimezone(dt.UTC) != theirs.astimezone(dt.UTC):
            add_mismatch.append((e_starts[i], durations[i], mine, theirs))
        for mine_end, peer_end in ((e_ends[i], p_ends[i]), (b_ends[i], pb_ends[i])):
            mine_el = engine.elapsed(e_starts[i], mine_end)
            theirs_el = peer.difference(p_starts[i], peer_end).timedelta
            if mine_el != theirs_el:
                el_mismatch.append((e_starts[i], mine_end, mine_el, theirs_el))
    checked = min(n_check, n_peer)
    print(
        f"Cross-check on {checked} inputs: add mismatches {len(add_mismatch)}, "
        f"elapsed mismatches {len(el_mismatch)}"
    )
    for start, d, mine, theirs in add_mismatch[:5]:
        print(f"  add({start.isoformat()}, {d}): Guichet {mine.isoformat()}  btd {theirs.isoformat()}")
    for start, end, mine, theirs in el_mismatch[:5]:
        print(f"  elapsed({start.isoformat()}, {end.isoformat()}): Guichet {mine}  btd {theirs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
