"""The one error of the pure core that is about the calendar rather than the arguments' types."""

from __future__ import annotations

__all__ = ["OutOfRange"]


class OutOfRange(ValueError):
    """A date or an instant the calendar cannot hold: a result past 9999-12-31, before 0001-01-01, or an
    instant that cannot be written in UTC (``datetime.max`` at +01:00). Python raises ``OverflowError`` or
    ``ValueError`` deep inside ``date`` arithmetic for these; the pure core raises this instead, with a
    sentence saying what fell outside, so that every door can answer 422 naming its own field."""
