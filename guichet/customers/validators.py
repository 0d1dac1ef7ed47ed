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


def validate_contact_roles(value: object) -> None:
    allowed = {"admin", "technical", "billing"}
    if not isinstance(value, list) or any(r not in allowed for r in value):
        raise ValidationError(f"Roles must be a list of: {', '.join(sorted(allowed))}.", code="bad_roles")
