"""Business-time arithmetic: the pure core behind every SLA clock. No Django import here.

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> cal = BusinessCalendar("Mon-Fri 08:00-18:00", "Europe/Luxembourg", country="LU")
>>> friday = datetime(2026, 11, 27, 16, 0, tzinfo=ZoneInfo("Europe/Luxembourg"))
>>> cal.add(friday, timedelta(hours=4)).isoformat()
'2026-11-30T10:00:00+01:00'
"""

from .calendar import BusinessCalendar
from .spec import format_week, parse_week

__all__ = ["BusinessCalendar", "format_week", "parse_week"]
