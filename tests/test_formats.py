"""What the reader reads: durations in hours and minutes in the reader's language, days and months by name."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from guichet.formats import day_text, duration_text, instant_text, month_text


def test_a_duration_reads_in_hours_and_minutes_and_a_short_one_in_seconds():
    with translation.override("en"):
        read = [duration_text(s) for s in (8100, 10800, 7530, 2700, 40, 0, -30)]
    assert read == ["2 h 15 min", "3 h", "2 h 05 min", "45 min", "40 s", "0 min", "0 min"]


def test_a_durations_hours_are_grouped_as_the_language_writes_numbers():
    with translation.override("en"):
        assert duration_text(1234 * 3600 + 60) == "1,234 h 01 min"
    with translation.override("fr"):
        assert duration_text(1234 * 3600 + 60) == "1\xa0234 h 01 min"
        assert duration_text(8100) == "2 h 15 min"


def test_days_months_and_instants_are_named_in_the_readers_language_and_zone():
    at = datetime(2026, 11, 3, 9, 5, tzinfo=UTC)
    with translation.override("en"), timezone.override(ZoneInfo("Europe/Luxembourg")):
        assert (day_text(date(2026, 11, 3)), month_text(2026, 11)) == ("3 November 2026", "November 2026")
        assert instant_text(at) == "3 November 2026 10:05"
    with translation.override("fr"), timezone.override(ZoneInfo("Europe/Luxembourg")):
        assert (day_text(date(2026, 11, 3)), month_text(2026, 11)) == ("3 novembre 2026", "novembre 2026")
        assert instant_text(at) == "3 novembre 2026 10:05"
