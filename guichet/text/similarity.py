"""How much two short texts (ticket subjects and descriptions) look alike, from 0 to 1.

Character trigrams of the accent-folded, lower-cased words, compared with the Jaccard index: robust to word
order, plurals and small typos ("Ligne SIP coupée" ~ "lignes sip coupees"), cheap enough to score a few
hundred candidates per request. Very common words of French and English support mail are dropped first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

STOPWORDS = frozenset(
    """
    the a an and or of to in on for is are was be it this that with my our we you your our please hello hi
    le la les un une des et ou de du en au aux pour est sont nous vous votre notre bonjour merci svp sur par
    dans avec ne pas plus que qui
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_WORD = re.compile(r"[a-z0-9]+")
BODY_CHARS = 400  # the problem is named at the start of a message; the rest is detail and signatures


def fold(text: str) -> str:
    """Lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def trigrams(text: str) -> frozenset[str]:
    grams: set[str] = set()
    for w in words(text):
        padded = f" {w} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a ticket is compared by: the trigrams of its subject and of its body's beginning. Computed once
    per text, so that scoring a text against a hundred candidates costs a hundred set intersections."""

    subject: frozenset[str]
    body: frozenset[str]


def fingerprint(subject: str, body: str) -> Fingerprint:
    return Fingerprint(trigrams(subject), trigrams(body[:BODY_CHARS]))


def score(a: Fingerprint, b: Fingerprint) -> float:
    """Subjects weigh more than bodies: they are what people write when they name the problem."""
    subject = jaccard(a.subject, b.subject)
    if not a.body or not b.body:
        return round(subject, 3)  # nothing to compare the bodies with (e.g. while the customer types)
    return round(0.65 * subject + 0.35 * jaccard(a.body, b.body), 3)


def similarity(subject_a: str, body_a: str, subject_b: str, body_b: str) -> float:
    return score(fingerprint(subject_a, body_a), fingerprint(subject_b, body_b))
