"""Money arithmetic of the SLA: availability, downtime credits, quality discounts, proration, contract terms.

Pure computation, no Django and no other Guichet app: ``Decimal`` amounts rounded once to the currency's
minor unit (``ROUNDING``, half up), integer seconds for time, aware datetimes only. Every result can explain
itself: it carries the numbers and codes that reached it, worded at the edge in the reader's language.

>>> from decimal import Decimal
>>> downtime_credit(monthly_fee=Decimal(100), currency="EUR", rate_percent_per_hour=Decimal(20),
...                 down_seconds=7200, cap_percent=None).amount
Decimal('40.00')
"""

from .amounts import MINOR_UNITS, ROUNDING, Money, UnknownCurrency, minor_unit, quantize
from .availability import Availability, month_bounds, monthly_availability
from .credits import (
    Credit,
    DiscountTier,
    DowntimeTerms,
    QualityOutcome,
    QualityTerms,
    downtime_credit,
    prorate,
    quality_discount,
)
from .errors import OutOfRange
from .intervals import Interval, clip, merge, subtract, total_seconds
from .terms import Termination, add_months, claim_month, earliest_termination

__all__ = [
    "MINOR_UNITS",
    "ROUNDING",
    "Availability",
    "Credit",
    "DiscountTier",
    "DowntimeTerms",
    "Interval",
    "Money",
    "OutOfRange",
    "QualityOutcome",
    "QualityTerms",
    "Termination",
    "UnknownCurrency",
    "add_months",
    "claim_month",
    "clip",
    "downtime_credit",
    "earliest_termination",
    "merge",
    "minor_unit",
    "month_bounds",
    "monthly_availability",
    "prorate",
    "quality_discount",
    "quantize",
    "subtract",
    "total_seconds",
]
