"""Demo plans and calendars, taken as written from the policies in ../shared/policies/.

* The six tiers of 004_45fdfb5363f4246a.txt (a Luxembourg VoIP provider): availability, support hours,
  fault-handling hours, maximum response / intervention / resolution times (counted in fault-handling hours,
  the same for every priority), credit rate per hour of outage, monthly cap, channels, phone-queue priority.
  Calendars are in Europe/Luxembourg; the weekday-only ones close on Luxembourg's public holidays, the
  seven-day ones (including 24/7) run through them, as a fault-handling rota does.
* The support plan of 001_f2667117bbb8535d.txt (a Portuguese SaaS vendor): support 09:00-21:00 WET, i.e.
  Europe/Lisbon (WET in winter, WEST in summer), on Portuguese business days; first response low 2 business
  days, medium 1 business day, high 12 business hours, urgent 4 business hours; resolution 24 business hours.
  The policy sets no intervention target and leaves the monthly ticket quota to each contract (none here).
* The billing hours of 003_2ab7deeaf27b330e.txt: Mon-Fri 10:00-18:00 Africa/Tunis, as a calendar ready for
  a plan's billing clock (plans of that provider come with the tickets issue).
"""

from __future__ import annotations

from decimal import Decimal as D

from .models import Channel, Clock, PhoneQueuePriority, Priority
from .services import TargetSpec, calendar_upsert, plan_upsert

LU = "Europe/Luxembourg"

# name -> (hours, zone, country)
CALENDARS = {
    "LU Mon-Fri 09:00-16:00": ("Mon-Fri 09:00-16:00", LU, "LU"),
    "LU Mon-Fri 08:00-17:00": ("Mon-Fri 08:00-17:00", LU, "LU"),
    "LU Mon-Fri 08:00-18:00": ("Mon-Fri 08:00-18:00", LU, "LU"),
    "LU Mon-Fri 07:30-18:00": ("Mon-Fri 07:30-18:00", LU, "LU"),
    "LU Mon-Sun 08:00-18:00": ("Mon-Sun 08:00-18:00", LU, ""),
    "LU Mon-Sun 07:00-19:00": ("Mon-Sun 07:00-19:00", LU, ""),
    "LU 24/7": ("Mon-Sun 00:00-24:00", LU, ""),
    "PT Mon-Fri 09:00-21:00 WET": ("Mon-Fri 09:00-21:00", "Europe/Lisbon", "PT"),
    "TN billing Mon-Fri 10:00-18:00": ("Mon-Fri 10:00-18:00", "Africa/Tunis", "TN"),
}

E, P, C, M = Channel.EMAIL, Channel.PHONE, Channel.CHAT, Channel.MATRIX
Q = PhoneQueuePriority

# code, name, availability %, support calendar, fault calendar, (MRT, TTI, TTR) hours, rate %/h, cap %,
# channels, phone queue
TIERS_004 = [
    ("basic", "Basic", None, "LU Mon-Fri 09:00-16:00", "LU Mon-Fri 09:00-16:00", (48, 96, 96), None, None,
     [E], Q.NONE),
    ("standard", "Standard", D("99.80"), "LU Mon-Fri 08:00-17:00", "LU Mon-Fri 08:00-17:00", (12, 24, 24),
     D("20"), D("50"), [E, P], Q.STANDARD),
    ("office", "Office", D("99.80"), "LU Mon-Fri 08:00-18:00", "LU Mon-Fri 08:00-18:00", (4, 8, 10),
     D("20"), D("50"), [E, P, C], Q.PRIORITY),
    ("retail", "Retail", D("99.85"), "LU Mon-Fri 08:00-18:00", "LU Mon-Sun 08:00-18:00", (4, 8, 10),
     D("25"), D("75"), [E, P, C], Q.PRIORITY),
    ("enterprise", "Enterprise", D("99.90"), "LU Mon-Fri 07:30-18:00", "LU Mon-Sun 07:00-19:00", (3, 6, 8),
     D("30"), D("100"), [E, P, C, M], Q.PRIORITY_PLUS),
    ("advanced", "Advanced", D("99.95"), "LU Mon-Fri 07:30-18:00", "LU 24/7", (2, 5, 7),
     D("40"), D("150"), [E, P, C, M], Q.PRIORITY_PLUS_PLUS),
]  # fmt: skip

DAYS, HOURS = "business_days", "business_hours"


def load_plans() -> int:
    """Create or update the demo calendars and plans; returns how many rows changed (0 on a re-run)."""
    changed = 0
    calendars = {}
    for name, (hours, tz, country) in CALENDARS.items():
        calendars[name], did = calendar_upsert(name=name, hours=hours, time_zone=tz, country=country)
        changed += did
    for code, name, avail, support, fault, (mrt, tti, ttr), rate, cap, channels, queue in TIERS_004:
        _, did = plan_upsert(
            code=code,
            name=name,
            description="SLA tier of 004_45fdfb5363f4246a.txt; clocks count fault-handling hours.",
            availability_guarantee=avail,
            support_calendar=calendars[support],
            fault_calendar=calendars[fault],
            credit_rate_per_hour=rate,
            monthly_credit_cap=cap,
            channels=channels,
            phone_queue_priority=queue,
            targets=[
                TargetSpec(Clock.FIRST_RESPONSE, D(mrt)),
                TargetSpec(Clock.INTERVENTION, D(tti)),
                TargetSpec(Clock.RESOLUTION, D(ttr)),
            ],
        )
        changed += did
    pt = calendars["PT Mon-Fri 09:00-21:00 WET"]
    _, did = plan_upsert(
        code="saas-support",
        name="SaaS support plan",
        description="Support terms of 001_f2667117bbb8535d.txt (non-binding targets); technical service "
        "requests are outside the SLA and quoted.",
        support_calendar=pt,
        fault_calendar=pt,
        channels=[Channel.PORTAL, Channel.EMAIL, Channel.WHATSAPP],
        targets=[
            TargetSpec(Clock.FIRST_RESPONSE, D(2), DAYS, Priority.LOW),
            TargetSpec(Clock.FIRST_RESPONSE, D(1), DAYS, Priority.MEDIUM),
            TargetSpec(Clock.FIRST_RESPONSE, D(12), HOURS, Priority.HIGH),
            TargetSpec(Clock.FIRST_RESPONSE, D(4), HOURS, Priority.URGENT),
            TargetSpec(Clock.RESOLUTION, D(24), HOURS),
        ],
    )
    changed += did
    return changed
