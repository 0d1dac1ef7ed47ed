from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError


def validate_time_zone(value: str) -> None:
    """Accept IANA zone names only (``Europe/Luxembourg``); abbreviations such as ``WET`` are ambiguous."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "Unknown time zone %(value)r: use an IANA name such as 'Europe/Luxembourg'.",
            code="unknown_time_zone",
            params={"value": value},
        ) from None
