"""Types of the API's inputs shared by the routers."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

from guichet.money.amounts import Money

# A row id: the databases keep ids in signed 64-bit integers, so a bigger number is refused (422 naming the
# field) rather than reaching SQLite, which cannot bind it (a 500).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value  # the services refuse it, naming the field
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("This instant is out of range.") from None


# An instant, turned to UTC: ISO 8601 allows offsets up to ±23:59 and PostgreSQL stores ±15:59 at most, so an
# instant at +19:30 (a 500 there) is the same instant in UTC.
Instant = Annotated[datetime, AfterValidator(_in_utc)]

# An amount of money as the database columns keep it (14 digits, 3 decimals; each currency's own decimals are
# checked by the services): a bigger one is a 422, not a numeric overflow.
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=3)]


def money_text(amount: Decimal | None, currency: str) -> str | None:
    """An amount as the API writes it: a string with the currency's minor units ("12.50", TND "3.250")."""

    return None if amount is None else str(Money.of(amount, currency).amount)
