"""BusinessCalendar: open-time arithmetic on a weekly schedule, a time zone and closed dates.

Pure Python, no Django. See docs/architecture.md ("The business-time engine") for the maths; in short:

* All instants are handled as integer microseconds since the Unix epoch (UTC), so ``add`` and ``elapsed``
  are exact inverses to the microsecond (no floats anywhere).
* ``W(w)`` is the open time, in wall-clock microseconds, from a fixed origin to the *wall-clock* instant
  ``w``, ignoring DST: whole weeks times the weekly open time, plus a per-minute prefix-sum table of the
  week, minus the open time of the closed dates (holidays) before ``w`` (a sorted list with prefix sums).
* Real time differs from wall time only at the zone's offset transitions. At a transition at UTC instant
  ``tau`` from offset ``o1`` to ``o2`` the wall clock jumps from ``tau+o1`` to ``tau+o2``: a spring-forward
  gap skips the open wall time in between, a fall-back fold repeats it. So the open *real* time from the
  origin to ``u`` is ``F(u) = W(u + offset(u)) - sum over transitions tau <= u of (W(tau+o2) - W(tau+o1))``,
  which follows the semantics exactly: an instant is open when its local wall-clock time is open; a repeated
  open hour counts twice, a skipped one not at all.
* ``elapsed(s, e) = F(e) - F(s)``; ``add(s, d)`` inverts ``F`` segment by segment between transitions, and
  ``W`` week by week, skipping closed dates, with bisection in the prefix tables. Whole weeks and days are
  jumped by arithmetic, never walked, so a 96-hour ``add`` costs about what a 1-hour one costs.

Holidays from the ``holidays`` library and the zone's transitions are computed per year, lazily, for the
years the calendar is asked about.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .spec import WeekHours, format_week, parse_week

__all__ = ["BusinessCalendar"]

US = 1_000_000  # microseconds per second
MIN = 60 * US
DAY = 86_400 * US
WEEK = 7 * DAY
MIN_PER_WEEK = 7 * 1440
# Wall-clock microseconds are counted from Monday 1969-12-29 00:00 so that week positions start on Monday
# (1970-01-01 was a Thursday).
SHIFT = 3 * DAY
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
ZERO = timedelta(0)
ORDINAL_SHIFT = date(1969, 12, 29).toordinal()  # date.toordinal() - ORDINAL_SHIFT == wall day index
FLOAT_EXACT_US = 2**32 * US  # until 2106: see _to_dt
MAX_DAY_ADVANCE = 400 * 366  # add_days never looks further than this many days ahead


def _utc_us(dt: datetime, name: str) -> int:
    # Hot path: one subtraction. A naive datetime, a date or anything else raises TypeError here.
    try:
        return (dt - EPOCH) // ONE_US
    except TypeError:
        pass
    if not isinstance(dt, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(dt).__name__}")
    raise ValueError(f"{name} must be timezone-aware (got naive {dt.isoformat()})")


def _year_of(u: int) -> int:
    return (EPOCH + timedelta(microseconds=u)).year


class _Tables:
    """An immutable snapshot of the lazily computed, per-year data. Replaced whole when years are added."""

    __slots__ = ("hcum", "hdays", "hi", "kpre", "lo", "offs", "taus", "years")

    def __init__(
        self,
        years: tuple[int, int],
        taus: list[int],
        offs: list[int],
        kpre: list[int],
        hdays: list[int],
        hcum: list[int],
        lo: int,
        hi: int,
    ) -> None:
        self.years = years  # (first, last) calendar years covered
        self.taus = taus  # UTC us of offset transitions, sorted
        self.offs = offs  # offs[i]: offset (us) in force between taus[i-1] and taus[i]
        self.kpre = kpre  # kpre[i]: DST correction of F for instants between taus[i-1] and taus[i]
        self.hdays = hdays  # wall day indexes of closed dates (on any weekday), sorted
        self.hcum = hcum  # hcum[j]: open wall time of hdays[:j]
        self.lo = lo  # UTC us range [lo, hi) inside which the tables are valid
        self.hi = hi


class BusinessCalendar:
    """Weekly opening hours in an IANA time zone, minus public holidays and extra closed dates."""

    def __init__(
        self,
        hours: str,
        tz: str,
        holidays: Iterable[date] = (),
        country: str | None = None,
        subdivision: str | None = None,
    ) -> None:
        self.week: WeekHours = parse_week(hours)
        self.hours = format_week(self.week)
        if not isinstance(tz, str) or not tz:
            raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as 'Europe/Luxembourg'")
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {tz!r}: use an IANA name such as 'Europe/Luxembourg'"
            ) from exc
        self.tz_name = tz
        self.country = country
        self.subdivision = subdivision
        if subdivision and not country:
            raise ValueError(f"subdivision {subdivision!r} needs a country")
        if country:
            self._country_holidays(country, subdivision, [2000])  # validates both codes now
        extra = set()
        for d in holidays:
            if isinstance(d, datetime) or not isinstance(d, date):
                raise ValueError(f"closed date {d!r} must be a date")
            extra.add(d)
        self.closed_dates: frozenset[date] = frozenset(extra)

        # Per-minute prefix sums of the open time over one week, from Monday 00:00.
        open_minute = bytearray(MIN_PER_WEEK)
        for wd, intervals in enumerate(self.week):
            for a, b in intervals:
                open_minute[wd * 1440 + a : wd * 1440 + b] = b"\x01" * (b - a)
        cum = [0] * (MIN_PER_WEEK + 1)
        acc = 0
        for m in range(MIN_PER_WEEK):
            cum[m] = acc
            acc += MIN if open_minute[m] else 0
        cum[MIN_PER_WEEK] = acc
        self._open_minute = bytes(open_minute)
        self._cum = cum
        self._week_open = acc  # open time in a whole week (us)
        self._day_open = [sum(b - a for a, b in iv) * MIN for iv in self.week]
        self._open_weekdays = [wd for wd in range(7) if self.week[wd]]
        self._lock = threading.Lock()
        self._t = _Tables((0, -1), [], [0], [0], [], [0], 0, 0)

    def __repr__(self) -> str:
        extra = f", country={self.country!r}" if self.country else ""
        return f"BusinessCalendar({self.hours!r}, {self.tz_name!r}{extra})"

    # ------------------------------------------------------------------ public API

    def is_open(self, at: datetime) -> bool:
        """True when the local wall-clock time of ``at`` is inside an opening interval of an open day."""
        u = _utc_us(at, "at")
        t = self._tables(u, u)
        ws = u + t.offs[bisect_right(t.taus, u)] + SHIFT
        j = bisect_left(t.hdays, ws // DAY)
        if j < len(t.hdays) and t.hdays[j] == ws // DAY:
            return False
        return bool(self._open_minute[(ws % WEEK) // MIN])

    def next_open(self, at: datetime) -> datetime:
        """The first open instant >= ``at`` (``at`` itself when open)."""
        u = _utc_us(at, "at")
        # The earliest instant after which 1 us of open time has passed, minus that 1 us, is the start of
        # the next open period (open intervals are closed at their start).
        return self._to_dt(self._add_us(u, 1) - 1)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The open time in [start, end]; zero when end <= start."""
        try:  # _utc_us inlined: elapsed is on every clock's hot path
            us = (start - EPOCH) // ONE_US
            ue = (end - EPOCH) // ONE_US
        except TypeError:
            us, ue = _utc_us(start, "start"), _utc_us(end, "end")  # raises the right ValueError
        if ue <= us:
            return ZERO
        t = self._t
        if not (t.lo <= us and ue < t.hi):
            t = self._tables(us, ue)
        return ONE_US * (self._f(t, ue) - self._f(t, us))  # exact, and faster than timedelta(microseconds=)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant t >= start such that the open time in [start, t] equals ``duration``."""
        try:  # _utc_us and _to_dt are inlined on this path: add is the engine's most frequent call
            u = (start - EPOCH) // ONE_US
        except TypeError:
            u = _utc_us(start, "start")  # raises the right ValueError
        try:
            d = duration // ONE_US
        except TypeError:
            raise ValueError(f"duration must be a timedelta, not {type(duration).__name__}") from None
        if d <= 0:
            if d < 0:
                raise ValueError(f"duration must not be negative (got {duration})")
            # Through UTC, not start.astimezone(tz): with start already in tz that would hand back a wall
            # time that does not exist (in a DST gap) unchanged.
            return self._to_dt(u)
        res = self._add_us(u, d)
        if 0 <= res < FLOAT_EXACT_US:
            return datetime.fromtimestamp(res / US, self.tz)
        return self._to_dt(res)

    def add_days(self, start: datetime, n: int) -> datetime:
        """``n`` business days after the first open instant >= ``start``, at the same local time of day.

        The time of day is clamped into the target day's opening hours: its closing time if it closes
        earlier, its opening time if it opens later (a due instant before the day opens would be breached
        before anyone could act). A wall time skipped by a DST change resolves to the instant after the gap.
        """
        if not isinstance(n, int) or isinstance(n, bool):
            raise ValueError(f"n must be an integer number of business days, not {n!r}")
        if n < 0:
            raise ValueError(f"n must not be negative (got {n})")
        p = self.next_open(start)
        if n == 0:
            return p
        day0 = p.date().toordinal() - ORDINAL_SHIFT
        target = self._nth_open_day(day0, n)
        intervals = self.week[target % 7]
        tod = p.hour * 60 * MIN + p.minute * MIN + p.second * US + p.microsecond
        tod = min(max(tod, intervals[0][0] * MIN), intervals[-1][1] * MIN)
        return self._wall_to_dt(date.fromordinal(target + ORDINAL_SHIFT), tod)

    def is_closed_date(self, day: date) -> bool:
        """True when ``day`` (a local date) is a public holiday or an extra closed date."""
        wall_day = day.toordinal() - ORDINAL_SHIFT
        t = self._tables(wall_day * DAY - SHIFT - DAY, wall_day * DAY - SHIFT + 2 * DAY)
        j = bisect_left(t.hdays, wall_day)
        return j < len(t.hdays) and t.hdays[j] == wall_day

    def open_periods(self, start: datetime, count: int = 10) -> list[tuple[datetime, datetime]]:
        """The next ``count`` opening intervals from ``start`` (the first one clipped to start), as
        (opens, closes) pairs; for previews and explanations, not for arithmetic."""
        p = self.next_open(start)
        day = p.date()
        out: list[tuple[datetime, datetime]] = []
        for _ in range(MAX_DAY_ADVANCE):
            if len(out) >= count:
                break
            if not self.is_closed_date(day):
                for a, b in self.week[day.weekday()]:
                    opens, closes = self._wall_to_dt(day, a * MIN), self._wall_to_dt(day, b * MIN)
                    if closes > p:
                        out.append((max(opens, p), closes))
            day += timedelta(days=1)
        return out[:count]

    def _wall_to_dt(self, day: date, tod_us: int) -> datetime:
        """The instant of local wall time ``tod_us`` after midnight of ``day`` (after the gap if skipped)."""
        wall = datetime.combine(day, time()) + timedelta(microseconds=tod_us)
        return wall.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)

    # ------------------------------------------------------------------ core maths

    def _base(self, ws: int) -> int:
        """Open wall time from the origin to wall instant ``ws``, ignoring closed dates."""
        q, p = divmod(ws, WEEK)
        m = p // MIN
        v = q * self._week_open + self._cum[m]
        if self._open_minute[m]:
            v += p - m * MIN
        return v

    # Base^-1(y), for y > 0, is the earliest wall instant ws with _base(ws) == y:
    #     q = (y - 1) // week_open; r = y - q * week_open        (0 < r <= week_open: whole weeks first)
    #     m = bisect_left(cum, r) - 1                            (the open minute in which r is reached)
    #     ws = q * WEEK + m * MIN + (r - cum[m])
    # It is written inline where it is used (_w_inv, _add_us): a helper call costs a tenth of an add.

    def _w(self, t: _Tables, ws: int) -> int:
        """Open wall time from the origin to wall instant ``ws``, closed dates excluded."""
        day = ws // DAY
        hdays = t.hdays
        j = bisect_left(hdays, day)
        if j < len(hdays) and hdays[j] == day:
            ws = day * DAY  # flat across a closed date
        q, p = divmod(ws, WEEK)  # _base(ws), inlined
        m = p // MIN
        v = q * self._week_open + self._cum[m] - t.hcum[j]
        if self._open_minute[m]:
            v += p - m * MIN
        return v

    def _f(self, t: _Tables, u: int) -> int:
        """Open real time from the origin to UTC instant ``u`` (see the module docstring).

        This is ``_w(t, u + offset(u) + SHIFT) + kpre[i]`` with ``_w`` and ``_base`` inlined: it is the
        hot path of ``elapsed`` and ``add``.
        """
        i = bisect_right(t.taus, u)
        ws = u + t.offs[i] + SHIFT
        day = ws // DAY
        hdays = t.hdays
        j = bisect_left(hdays, day)
        if j < len(hdays) and hdays[j] == day:
            ws = day * DAY  # flat across a closed date
        q, p = divmod(ws, WEEK)
        m = p // MIN
        v = q * self._week_open + self._cum[m] - t.hcum[j] + t.kpre[i]
        if self._open_minute[m]:
            v += p - m * MIN
        return v

    def _w_inv(self, t: _Tables, x: int, ws: int) -> int | None:
        """The earliest wall instant >= ws with W == x, given W(ws) <= x; None past the tables' end."""
        hdays, hcum, cum, week_open = t.hdays, t.hcum, self._cum, self._week_open
        nh = len(hdays)
        while True:
            day = ws // DAY
            j = bisect_left(hdays, day)
            if j < nh and hdays[j] == day:
                if self._base(day * DAY) - hcum[j] == x:
                    return ws
                ws = (day + 1) * DAY
                continue
            # w = Base^-1(x + hcum[j]) (see above)
            y = x + hcum[j]
            q = (y - 1) // week_open
            r = y - q * week_open
            m = bisect_left(cum, r) - 1
            w = q * WEEK + m * MIN + (r - cum[m])
            if j < nh and hdays[j] * DAY < w:
                ws = (hdays[j] + 1) * DAY  # W is flat on that closed date: skip it and go on
                if ws - SHIFT > t.hi + DAY:
                    return None
                continue
            return w

    def _add_us(self, u: int, d: int) -> int:
        """The earliest UTC instant whose open time since ``u`` is ``d`` (both in microseconds, d > 0)."""
        t = self._t
        if not t.lo <= u < t.hi:
            t = self._tables(u, u)
        # F(u) + d is the target of F. On the segment of u (between two offset changes) F = W(wall) + kpre[i],
        # so the target of W there is W(wall(u)) + d.
        taus = t.taus
        i = bisect_right(taus, u)
        off = t.offs[i]
        ws = u + off + SHIFT

        # Fast path (nearly every call): u's day is not closed and no offset change comes before the
        # answer. Then W^-1(W(ws) + d) is Base^-1(Base(ws) + d + the open time of the closed dates skipped
        # on the way), all inlined: the closed dates before the candidate answer are added one by one.
        hdays = t.hdays
        nh = len(hdays)
        j = bisect_left(hdays, ws // DAY)
        if j == nh or hdays[j] != ws // DAY:
            cum, week_open, day_open = self._cum, self._week_open, self._day_open
            q, p = divmod(ws, WEEK)
            m = p // MIN
            y = q * week_open + cum[m] + d
            if self._open_minute[m]:
                y += p - m * MIN
            while True:
                q = (y - 1) // week_open
                r = y - q * week_open
                m = bisect_left(cum, r) - 1
                w = q * WEEK + m * MIN + (r - cum[m])
                if j < nh and hdays[j] * DAY < w:
                    y += day_open[hdays[j] % 7]  # W is flat on a closed date: skip its open time
                    j += 1
                    continue
                break
            fast = w - off - SHIFT
            if fast < t.hi and (i == len(taus) or fast <= taus[i]):
                return fast

        x = self._w(t, ws) + d
        target = x + t.kpre[i]
        while True:
            found = self._w_inv(t, x, ws)
            res = None if found is None else found - off - SHIFT
            if res is None or res >= t.hi:
                # Past the years computed so far: extend them, and start again on the new tables (their
                # origin may differ, so F values are only comparable within one snapshot).
                t = self._tables(u, max(res or 0, t.hi) + 366 * DAY)
                target = self._f(t, u) + d
                i = bisect_right(t.taus, u)
                off = t.offs[i]
                ws = u + off + SHIFT
                x = target - t.kpre[i]
                continue
            if i < len(t.taus) and res > t.taus[i]:
                # The answer lies past the next offset change: go on from it, with its offset and correction.
                seg = t.taus[i]
                i += 1
                off = t.offs[i]
                ws = seg + off + SHIFT
                x = target - t.kpre[i]
                continue
            return res

    def _to_dt(self, u: int) -> datetime:
        if 0 <= u < FLOAT_EXACT_US:
            # u / 1e6 is the double nearest the exact value, within half an ulp (< 0.25 us below 2**32 s),
            # and fromtimestamp rounds to the nearest microsecond: the result is exactly u. Three times
            # faster than building a timedelta.
            return datetime.fromtimestamp(u / US, self.tz)
        return (EPOCH + timedelta(microseconds=u)).astimezone(self.tz)

    def _nth_open_day(self, day0: int, n: int) -> int:
        """The wall day index of the n-th open day after ``day0`` (which is open)."""
        per_week = len(self._open_weekdays)
        cur, left = day0, n
        while True:
            q, r = divmod(left, per_week)
            cand = cur + 7 * q
            while r:
                cand += 1
                if self.week[cand % 7]:
                    r -= 1
            if q and not r and not self.week[cand % 7]:  # cannot happen (cur is open); kept for clarity
                raise AssertionError("open-day arithmetic went wrong")
            # Closed dates in (cur, cand] that fall on open weekdays each push the target one open day on.
            lo_u = (cur + 1) * DAY - SHIFT - DAY
            hi_u = (cand + 1) * DAY - SHIFT + DAY
            if cand - day0 > MAX_DAY_ADVANCE:
                raise ValueError("add_days: no open day within 400 years")
            t = self._tables(lo_u, hi_u)
            a = bisect_right(t.hdays, cur)
            b = bisect_right(t.hdays, cand)
            left = sum(1 for h in t.hdays[a:b] if self.week[h % 7])
            if not left:
                return cand
            cur = cand

    # ------------------------------------------------------------------ per-year tables

    def _tables(self, u_lo: int, u_hi: int) -> _Tables:
        t = self._t
        if t.lo <= u_lo and u_hi < t.hi:
            return t
        with self._lock:
            t = self._t
            if t.lo <= u_lo and u_hi < t.hi:
                return t
            y_lo, y_hi = _year_of(u_lo) - 1, _year_of(u_hi) + 1
            if t.years[0] <= t.years[1]:  # extend the years covered, only on the side that needs it
                y_lo = t.years[0] if u_lo >= t.lo else min(y_lo, t.years[0])
                y_hi = t.years[1] if u_hi < t.hi else max(y_hi, t.years[1])
            self._t = t = self._build(max(y_lo, 1), min(y_hi, 9998))
            return t

    def _build(self, y0: int, y1: int) -> _Tables:
        # Closed dates: explicit ones (all of them) and the country's public holidays for [y0, y1].
        closed = set(self.closed_dates)
        if self.country:
            closed.update(self._country_holidays(self.country, self.subdivision, range(y0, y1 + 1)))
        hdays = sorted(d.toordinal() - ORDINAL_SHIFT for d in closed)
        hcum = [0]
        for h in hdays:
            hcum.append(hcum[-1] + self._day_open[h % 7])
        # Offset transitions between the start of y0 and the end of y1, found by daily steps then bisection.
        lo = int((datetime(y0, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
        hi = int((datetime(y1 + 1, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
        taus: list[int] = []
        offs = [self._offset_s(lo - 86_400) * US]
        prev = lo - 86_400
        for s in range(lo, hi + 86_400 + 1, 86_400):
            if self._offset_s(s) * US != offs[-1]:
                a, b = prev, s  # offset(a) is the old one, offset(b) the new one
                while b - a > 1:
                    mid = (a + b) // 2
                    if self._offset_s(mid) * US == offs[-1]:
                        a = mid
                    else:
                        b = mid
                taus.append(b * US)
                offs.append(self._offset_s(b) * US)
            prev = s
        tables = _Tables((y0, y1), taus, offs, [0], hdays, hcum, lo * US + DAY, hi * US - DAY)
        kpre = [0]
        for i, tau in enumerate(taus):
            o1, o2 = offs[i], offs[i + 1]
            kpre.append(kpre[-1] - (self._w(tables, tau + o2 + SHIFT) - self._w(tables, tau + o1 + SHIFT)))
        tables.kpre = kpre
        return tables

    def _offset_s(self, s: int) -> int:
        off = (EPOCH + timedelta(seconds=s)).astimezone(self.tz).utcoffset()
        assert off is not None  # an aware datetime in a ZoneInfo always has an offset
        return int(off.total_seconds())

    @staticmethod
    def _country_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> list[date]:
        import holidays as holidays_lib  # imported lazily: only calendars with a country need it

        try:
            found = holidays_lib.country_holidays(country, subdiv=subdivision, years=years)
        except NotImplementedError as exc:
            if subdivision:
                raise ValueError(f"unknown country {country!r} or subdivision {subdivision!r}") from exc
            raise ValueError(f"unknown country {country!r}: use an ISO 3166 code such as 'LU'") from exc
        return list(found.keys())
