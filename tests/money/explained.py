"""The pure core's results with their words, for the tests that read the sentences.

``guichet.money`` returns terms (numbers and codes) and takes no language; the sentences are the edge's
(``guichet.availability.explain``, ``guichet.contracts.explain``), worded under the reader's language. These
wrappers call the core, then word its result as a reader of ``language`` would read it, so the tests of the
texts (English and French, unchanged) check core and words together."""

from __future__ import annotations

from typing import Any

from guichet import money
from guichet.availability import explain as measures
from guichet.contracts import explain as contracts
from guichet.i18n import reading


class Explained:
    """A core result (its attributes read through) with its ``explanation`` in one language."""

    def __init__(self, result: Any, explanation: str) -> None:
        self.result = result
        self.explanation = explanation

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)


class ExplainedAvailability:
    """An ``Availability`` (its attributes read through) that words itself in any language."""

    def __init__(self, result: money.Availability) -> None:
        self.result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def explain(self, language: str = "en") -> str:
        with reading(language):
            return measures.availability(self.result)


def downtime_credit(*, language: str = "en", **arguments: Any) -> Explained:
    result = money.downtime_credit(**arguments)
    with reading(language):
        return Explained(result, measures.credit(result))


def quality_discount(*, language: str = "en", **arguments: Any) -> Explained:
    result = money.quality_discount(**arguments)
    with reading(language):
        return Explained(result, measures.credit(result))


def earliest_termination(*, language: str = "en", **arguments: Any) -> Explained:
    result = money.earliest_termination(**arguments)
    with reading(language):
        return Explained(result, contracts.termination(result))


def monthly_availability(**arguments: Any) -> ExplainedAvailability:
    return ExplainedAvailability(money.monthly_availability(**arguments))
