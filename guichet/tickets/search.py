"""Full-text search of tickets on the database's own engine: SQLite FTS5, PostgreSQL tsvector + GIN.

One row per ticket in ``tickets_search`` (its key, ``rowid``, is the ticket's id), written by ``index`` in the
transaction of every command that changes what is indexed (``services``: creation, reply, note, merge,
watchers), by ``reindex_named`` (the task ``tasks.search_reindex``, which ``customers.services`` enqueue when
an organisation or a person is renamed) and rebuilt for all tickets by ``rebuild`` (the migration that
creates the table, and ``guichet search_rebuild``). Two texts per ticket:

- ``public``: the subject, the organisation's name, the requester's and watchers' names, the public messages;
- ``internal``: the internal notes. A customer's query never reads it, so a customer never matches (nor
  counts) a ticket on the words of a note; staff search both.

Folding and stemming (docs/decisions.md). Accents are folded on both sides: FTS5's ``unicode61
remove_diacritics 2`` tokenizer, and on PostgreSQL ``fold`` (a one-character-for-one translation, so that an
excerpt of the folded text maps back onto the original). French and English: PostgreSQL stems the text and
the query with both configurations (``to_tsvector('french', …) || to_tsvector('english', …)``). FTS5 only has
an English Porter stemmer, so the text is indexed as written and the *query* is stemmed in Python with the
Snowball stemmers of both languages: each word also matches, as a prefix, the part it shares with its
stems ("factures" → ``factur*``: facture, facturé, facturation; "connected" → ``connect*``).

Queries (``parse``): words (all required), "quoted phrases", the last word as a prefix while it is being
typed (from three letters), references (GT-2026-000123) as typed, that ticket first. Results are ranked
(bm25 / ts_rank) inside ``tickets_visible_to`` and the queue's filters (``search_page``), with an HTML
excerpt where the matching words are in ``<mark>`` and everything else escaped.

SQLite's table has prefix indexes of 3 to 6 characters (migration 0021): a prefix of those lengths has a
doclist of its own, read newest first and stopped at the candidates, where FTS5 would otherwise merge every
matching term's doclist first.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from guichet.customers.models import User
from guichet.customers.permissions import may_see_internal
from guichet.customers.selectors import acting_contact

from .models import MessageKind, Ticket
from .selectors import queue

TABLE = "tickets_search"
REFERENCE = re.compile(r"\bGT-\d{4}-\d{1,9}\b", re.IGNORECASE)
WORD = re.compile(r"\w+")
PHRASE = re.compile(r'"([^"]*)"?')
MIN_STEM = 3  # a shorter shared part would match too much as a prefix
# The last word is matched as a prefix from this length: a shorter one ("e", "in") is the prefix of thousands
# of terms, all merged before the first match (FTS5: 270 ms for "e" at 1,000,000 tickets); it is a word.
MIN_PREFIX = 3
MAX_TERMS = 12  # words and phrases in one query: more is not a search
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


def _fold_table() -> dict[int, str]:
    """Each Latin letter with diacritics → its base letter (é → e, Ç → C), one character for one."""
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            table[code] = base
    return table


FOLD = _fold_table()


def fold(text: str) -> str:
    """``text`` without its accents, character for character (same length, same positions)."""
    return text.translate(FOLD)


@functools.cache
def _stemmers() -> tuple[Any, Any]:
    return snowballstemmer.stemmer("french"), snowballstemmer.stemmer("english")


def stem_prefixes(word: str) -> list[str]:
    """The parts ``word`` (folded, lower case) shares with its French and English stems, long enough to mean
    something: matched as prefixes, they find the word's other forms."""
    out = []
    for stemmer in _stemmers():
        stem = stemmer.stemWord(word)
        shared = 0
        while shared < min(len(stem), len(word)) and stem[shared] == word[shared]:
            shared += 1
        # A word that is its own stem ("drop", "connect") is matched as a prefix too ("dropped"), if longer
        # than three letters ("box" stays exact).
        whole = shared == len(word)
        if shared >= MIN_STEM and (not whole or len(word) > MIN_STEM) and word[:shared] not in out:
            out.append(word[:shared])
    return out


@dataclass
class Query:
    """A query as typed, taken apart: ``words`` (all required), ``phrases`` (word sequences), ``prefix`` (the
    last word, still being typed: matched as a prefix), ``references`` (GT-2026-000123, upper case)."""

    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    prefix: str = ""
    references: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases or self.prefix or self.references)


def _words(text: str) -> list[str]:
    return WORD.findall(fold(text).lower())


def parse(text: str) -> Query:
    """Take a query apart (see ``Query``). Nothing in it is syntax for the engine: every word is quoted."""
    text = text[:500]
    query = Query()
    query.references = [r.upper() for r in REFERENCE.findall(text)]
    rest = REFERENCE.sub(" ", text)
    for phrase in PHRASE.findall(rest):
        words = _words(phrase)
        if len(words) > 1:
            query.phrases.append(words)
        else:
            query.words += words
    loose = PHRASE.sub(" ", rest)
    query.words += _words(loose)
    if query.words and len(query.words[-1]) >= MIN_PREFIX and re.search(r"\w$", loose):
        query.prefix = query.words.pop()  # the last word is still being typed
    query.words = list(dict.fromkeys(query.words))
    budget = MAX_TERMS - len(query.references)
    query.phrases = query.phrases[:budget]
    query.words = query.words[: max(budget - len(query.phrases), 0)]
    return query


# --------------------------------------------------------------------------------------------- the index


# The text of each ticket, as SQL (the same on both engines but for the string aggregate), so that the
# services, the rebuild and the migration write the same rows without loading models: ``{where}`` picks the
# tickets. Public: subject, organisation, requester, the other watchers, the public messages in order.
_NAME = "TRIM(COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, ''))"
_DOCS = """
SELECT t.id AS id, t.reference AS reference, t.organisation_id AS organisation_id,
       t.subject || {nl} || o.name || {nl}
       || COALESCE(NULLIF(TRIM(r.first_name || ' ' || r.last_name), ''), r.username)
       || COALESCE((SELECT {nl} || {agg_names} FROM tickets_ticket_watchers w
                    JOIN customers_user u ON u.id = w.user_id
                    WHERE w.ticket_id = t.id AND w.user_id <> t.requester_id AND {name} <> ''), '')
       || COALESCE((SELECT {nl} || {agg_public}), '') AS public,
       COALESCE((SELECT {agg_internal}), '') AS internal
FROM tickets_ticket t
JOIN customers_organisation o ON o.id = t.organisation_id
JOIN customers_user r ON r.id = t.requester_id
WHERE {where}
"""


def _docs_sql(vendor: str, where: str) -> str:
    def messages(kind: str) -> str:
        if vendor == "sqlite":  # group_concat keeps the subquery's order
            return (
                "group_concat(body, char(10)) FROM (SELECT body FROM tickets_ticketmessage m WHERE "
                f"m.ticket_id = t.id AND m.kind = '{kind}' ORDER BY m.created_at, m.id)"
            )
        return (
            "string_agg(body, chr(10) ORDER BY m.created_at, m.id) FROM tickets_ticketmessage m WHERE "
            f"m.ticket_id = t.id AND m.kind = '{kind}'"
        )

    names = f"group_concat({_NAME}, char(10))" if vendor == "sqlite" else f"string_agg({_NAME}, chr(10))"
    return _DOCS.format(
        nl="char(10)" if vendor == "sqlite" else "chr(10)",
        agg_names=names,
        name=_NAME,
        agg_public=messages(MessageKind.PUBLIC.value),
        agg_internal=messages(MessageKind.INTERNAL.value),
        where=where,
    )


def _pg_vector(text: str, weight: str) -> str:
    return f"setweight(to_tsvector('french', {text}) || to_tsvector('english', {text}), '{weight}')"


# PostgreSQL: the texts come back to Python to be folded (``fold``; SQL's translate() with a table of this
# size costs milliseconds a text) and go in again as arrays, one statement for any number of tickets. Each
# document also holds its organisation as a lexeme no typed word can produce (``org_lexeme``), so that the
# GIN index answers "these words in this organisation" for a customer's search by itself, and its
# organisation's id (``organisation_id``, indexed with the row's id), so that an organisation's newest
# documents are read without the others' (_pg_candidates).
_PG_WRITE = f"""
INSERT INTO {TABLE} (rowid, organisation_id, public, internal, public_doc, staff_doc)
SELECT x.id, x.org_id, x.pub, x.int, x.doc, x.doc || {_pg_vector("x.fint", "C")}
FROM (SELECT u.id, u.org_id, u.pub, u.int, u.fint,
             setweight(to_tsvector('simple', u.ref), 'A') || {_pg_vector("u.fpub", "B")}
             || setweight(array_to_tsvector(ARRAY[u.org]), 'D') AS doc
      FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                  %s::bigint[])
           AS u(id, ref, pub, int, fpub, fint, org, org_id)) x
ON CONFLICT (rowid) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, public = EXCLUDED.public,
    internal = EXCLUDED.internal, public_doc = EXCLUDED.public_doc, staff_doc = EXCLUDED.staff_doc
"""


def org_lexeme(organisation_id: int) -> str:
    """The lexeme of an organisation in the PostgreSQL documents: "~o17" (the parser never keeps a "~")."""
    return f"~o{organisation_id}"


def _write(cursor: Any, vendor: str, where: str, params: list[Any]) -> None:
    """(Re)write the search rows of the tickets ``where`` picks (one or two statements)."""
    docs = _docs_sql(vendor, where)
    if vendor == "sqlite":
        cursor.execute(
            f"INSERT INTO {TABLE} (rowid, reference, public, internal) "
            f"SELECT id, reference, public, internal FROM ({docs})",
            params,
        )
        return
    cursor.execute(docs, params)
    rows = cursor.fetchall()
    if rows:
        ids, refs, orgs, public, internal = (list(column) for column in zip(*rows, strict=True))
        folded = [fold(t) for t in public], [fold(t) for t in internal]
        lexemes = [org_lexeme(o) for o in orgs]
        cursor.execute(_PG_WRITE, [ids, refs, public, internal, *folded, lexemes, orgs])


def index(ticket_ids: Iterable[int], *, using: Any = None) -> None:
    """Write the search rows of ``ticket_ids`` from what they are now. Called by the ticket services inside
    their transaction, so the index never lags behind a committed change."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    conn = using or connection
    holes = ", ".join(["%s"] * len(ids))
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":  # FTS5 has no upsert
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({holes})", ids)
        _write(cursor, conn.vendor, f"t.id IN ({holes})", ids)


REINDEX_BATCH = 2_000  # tickets a transaction: short write locks (SQLite has one), bounded memory


def tickets_naming(*, organisation_id: int | None = None, user_id: int | None = None) -> list[int]:
    """The tickets whose indexed text holds the organisation's name (its tickets) or the person's (as the
    requester or a watcher), in id order."""
    ids: set[int] = set()
    if organisation_id is not None:
        ids.update(Ticket.objects.filter(organisation_id=organisation_id).values_list("pk", flat=True))
    if user_id is not None:
        ids.update(Ticket.objects.filter(requester_id=user_id).values_list("pk", flat=True))
        watched = Ticket.watchers.through.objects.filter(user_id=user_id)
        ids.update(watched.values_list("ticket_id", flat=True))
    return sorted(ids)


def reindex_named(
    *, organisation_id: int | None = None, user_id: int | None = None, batch: int = REINDEX_BATCH
) -> int:
    """Index again the tickets that name this organisation or this person (after a rename), ``batch`` tickets
    a transaction, from what the database holds when each batch runs: a second rename, or a reply indexed
    meanwhile, is never undone. Safe to run again. Returns the number of tickets."""
    ids = tickets_naming(organisation_id=organisation_id, user_id=user_id)
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            index(ids[start : start + batch])
    return len(ids)


def rebuild(*, using: Any = None, batch: int = 20_000, progress=None) -> int:
    """Index every ticket again, by ranges of ids of ``batch`` (the migration that creates the table;
    ``guichet search_rebuild`` after a bulk load). Returns the number of tickets."""
    conn = using or connection
    with conn.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM tickets_ticket")
        low, high, count = cursor.fetchone()
        if not count:
            return 0
        for start in range(low, high + 1, batch):
            bounds = [start, start + batch]
            if conn.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {TABLE} WHERE rowid >= %s AND rowid < %s", bounds)
            _write(cursor, conn.vendor, "t.id >= %s AND t.id < %s", bounds)
            if progress is not None:
                progress(min(start + batch - low, high - low + 1))
    return count


# --------------------------------------------------------------------------------------------- queries


def _fts_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fts_word(word: str, *, prefix: bool) -> str:
    alternatives = [_fts_quote(word) + ("*" if prefix else "")]
    alternatives += [_fts_quote(p) + "*" for p in stem_prefixes(word) if not (prefix and p == word)]
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def fts5_expression(query: Query, *, internal: bool) -> str:
    """The FTS5 MATCH expression of ``query``: every term required; without ``internal``, the notes'
    column is left out of the match."""
    terms = [_fts_quote(" ".join(_words(ref))) for ref in query.references]
    terms += [_fts_quote(" ".join(p)) for p in query.phrases]
    terms += [_fts_word(w, prefix=False) for w in query.words]
    if query.prefix:
        terms.append(_fts_word(query.prefix, prefix=True))
    expression = " AND ".join(terms)
    return expression if internal else "{reference public} : (" + expression + ")"


def _pg_word(word: str, *, prefix: bool) -> tuple[str, list[str]]:
    """A word's tsquery: its forms in French and English (and as typed, for a prefix), each once. The forms
    are read from a tsvector, which keeps each lexeme once: "vpn" is the same in the three configurations,
    and a GIN index asked for ``'vpn':* | 'vpn':* | 'vpn':*`` merges the word's whole posting list three
    times. Each lexeme is quoted as tsquery input wants (quotes doubled, backslashes escaped)."""
    configs = ("french", "english", "simple") if prefix else ("french", "english")
    vector = " || ".join(f"to_tsvector('{c}', %s)" for c in configs)
    quoted = "'''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || ''''"
    suffix = " || ':*'" if prefix else ""
    sql = (
        f"COALESCE((SELECT string_agg({quoted}{suffix}, ' | ')::tsquery "
        f"FROM unnest(tsvector_to_array({vector})) AS l), ''::tsquery)"
    )
    return sql, [word] * len(configs)


def pg_tsquery(query: Query) -> tuple[str, list[str]]:
    """The tsquery of ``query`` as SQL and its parameters: each word stemmed in French or in English."""
    parts: list[str] = []
    params: list[str] = []
    for ref in query.references:
        parts.append("phraseto_tsquery('simple', %s)")
        params.append(ref)  # as the text is parsed: 'gt' <-> '-2026' <-> '-000123'
    for phrase in query.phrases:
        parts.append("(phraseto_tsquery('french', %s) || phraseto_tsquery('english', %s))")
        params += [" ".join(phrase)] * 2
    for word in query.words:
        sql, more = _pg_word(word, prefix=False)
        parts.append(sql)
        params += more
    if query.prefix:
        sql, more = _pg_word(query.prefix, prefix=True)
        parts.append(sql)
        params += more
    return "(" + " && ".join(parts) + ")", params


CANDIDATES = 500  # the most recent matching tickets ranked per query (docs/decisions.md)


def _scope_sql(user: User, filters: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """The WHERE clause of ``selectors.queue(user, **filters)`` on ``tickets_ticket``: what the user may see
    and the queue's filters, exactly as the queue has them. None: nothing visible."""
    qs = queue(user, **filters)
    try:
        sql, params = qs.query.get_compiler(connection=connection).compile(qs.query.where)
    except EmptyResultSet:
        return None
    return (sql or "1 = 1"), list(params)


_SNIPPET = "snippet(" + TABLE + ", {}, char(2), char(3), '…', 14)"
_SNIPPETS = {False: _SNIPPET.format(1) + ", ''", True: _SNIPPET.format(1) + ", " + _SNIPPET.format(2)}


def _candidates_sql(
    query: Query, *, internal: bool, where: str, where_params: list[Any]
) -> tuple[str, list[Any]]:
    """SQLite's statement listing (id, rank, first, public snippet, notes snippet) for the ``CANDIDATES``
    most recent matching tickets inside ``where``, and its parameters: rank lower is better; first is 0 for
    a ticket whose reference was typed.

    CROSS JOIN: SQLite keeps the order as written, so the index is read newest first and the scan stops at
    CANDIDATES tickets in scope; bm25 and the snippets are computed for those only (a query of its own for
    the page's snippets, by rowid, costs more: FTS5 evaluates the whole MATCH again for each, prefix terms
    included)."""
    refs = ", ".join(["%s"] * len(query.references))
    first = f'CASE WHEN "tickets_ticket"."reference" IN ({refs}) THEN 0 ELSE 1 END' if refs else "1"
    sql = f"""
SELECT "tickets_ticket"."id", bm25({TABLE}, 10.0, 1.0, 1.0), {first}, {_SNIPPETS[internal]}
FROM {TABLE} CROSS JOIN "tickets_ticket" ON "tickets_ticket"."id" = {TABLE}.rowid
WHERE {TABLE} MATCH %s AND {where}
ORDER BY {TABLE}.rowid DESC LIMIT {CANDIDATES}"""
    return sql, [*query.references, fts5_expression(query, internal=internal), *where_params]


# PostgreSQL: the newest documents read first (a frequent word finds its candidates among them), then how
# many matches the GIN index is asked for before the whole index is read backwards (_pg_candidates).
RECENT = 20_000
# An organisation's documents are scattered among everyone's (about a page read each, 1.5 µs): its newest
# RECENT_OWN first, then the rest backwards only while the matches found predict at most OWN_READ more.
RECENT_OWN = 5_000
OWN_READ = 20_000
PROBE = 5_000


def _one_organisation(user: User, filters: dict[str, Any]) -> int | None:
    """The one organisation the search is limited to, if any: a customer's, or the one filtered by."""
    if filters.get("organisation_id") is not None:
        return int(filters["organisation_id"])
    contact = acting_contact(user)
    return contact.organisation_id if contact is not None else None


def _pg_candidates(
    cursor: Any,
    query: Query,
    *,
    internal: bool,
    where: str,
    where_params: list[Any],
    organisation_id: int | None,
) -> list[tuple[int, float, int]]:
    """(id, rank, first) of the ``CANDIDATES`` most recent matching tickets inside ``where``, as
    ``_candidates_sql`` reads them on SQLite. PostgreSQL's planner cannot estimate how many documents a
    prefix (``kangou:*``, the word being typed) or a phrase matches, and chose badly both ways (the whole
    index read backwards for a rare word, all of a phrase's 50,000 matches read and sorted); so the plan is
    chosen from the matches themselves, each step's plan forced (``_planned``):

    1. the ``RECENT`` newest documents, read backwards: a frequent word finds its ``CANDIDATES`` there and
       the search ends (a millisecond or two); a reference (always rare) skips this step. Otherwise the
       share of them that matched, times the size of the table (its statistics), says roughly how many
       match in all:
    2. ``PROBE`` or fewer: the GIN index alone, in no order, for at most ``PROBE + 1`` matches; if there are
       no more, they are all the matches, and only they are looked up (a rare word: a few milliseconds,
       whatever the number of tickets). Asking the index for a frequent word would read its whole posting
       list (210 ms for "our" at 1,000,000 tickets), hence the estimate first;
    3. more: the rest of the index backwards, below the newest documents already read, until
       ``CANDIDATES`` in scope are found.

    A search limited to one organisation (a customer's, or the filter's) reads that organisation's documents
    only in steps 1 and 3 (the index ``tickets_search_organisation``: its newest first). Its documents are
    scattered among everyone's, so step 1 reads ``RECENT_OWN`` of them (if it has no more, those matches are
    all), and step 3 follows when the share of them that matched says the rest of the candidates lie within
    ``OWN_READ`` more documents; else step 2, with the organisation's lexeme added to the match, so that the
    GIN index itself answers "these words in this organisation". Reading every organisation's newest
    documents to find a twentieth of them had cost a customer's "calls drop" 19 ms, and the GIN probe it
    then needed 22 more (1,000,000 tickets)."""
    tsquery, params = pg_tsquery(query)
    # The documents read in steps 1 and 3: all, newest first; or one organisation's, newest first in its
    # index. The organisation as a range of one value, ordered by it: with ``organisation_id = n`` the primary
    # key gives the same order, and where the statistics say the table is in id order (after a CLUSTER, a
    # bulk load) PostgreSQL walked it, filtering out the other organisations' documents: 100,000 read for
    # 5,000, 70-160 ms instead of 9-27 (1,000,000 tickets). Only the organisation's index gives this order.
    own, order = "", "rowid DESC"
    if organisation_id is not None:
        tsquery = f"({tsquery} && %s::tsquery)"
        params = [*params, "'" + org_lexeme(organisation_id) + "'"]
        own = f"organisation_id >= {int(organisation_id)} AND organisation_id <= {int(organisation_id)} AND "
        order = "organisation_id DESC, rowid DESC"
    column = "staff_doc" if internal else "public_doc"
    refs = ", ".join(["%s"] * len(query.references))

    def first(reference: str) -> str:  # 0 for a ticket whose reference was typed
        return f"CASE WHEN {reference} IN ({refs}) THEN 0 ELSE 1 END" if refs else "1"

    # With the newest documents (step 1) only: for all documents, how many there are (the table's
    # statistics); for an organisation's, whether it has more than those read (its index read up to one
    # more: counting all would read one entry per ticket); the lowest id read.
    recent_limit = RECENT_OWN if own else RECENT
    newest = f"SELECT rowid FROM {TABLE} WHERE {own}TRUE ORDER BY {order}"
    size = (
        f"NULL, (SELECT count(*) FROM ({newest} LIMIT {recent_limit + 1}) w)"
        if own
        else f"(SELECT reltuples FROM pg_class WHERE oid = '{TABLE}'::regclass), NULL"
    )
    sizes = f"{size}, (SELECT min(w.rowid) FROM ({newest} LIMIT {recent_limit}) w)"

    def backwards(below: int | None, limit: str, want: int) -> list[tuple]:
        # The ticket looked up for each match (LATERAL, OFFSET 0 keeps it a subquery), from the newest
        # match (below ``below``) down, the outer order the inner one (a sort would read every document
        # before the first row). Bitmap and sequential scans and sorts off: the planner, misjudging a prefix
        # or a phrase, read and sorted every match or every document, or (an organisation's, step 3) walked
        # the primary key through every organisation's documents and sorted its own.
        return _planned(
            cursor,
            ["enable_bitmapscan", "enable_seqscan", "enable_sort"],
            f"""
SELECT t.id, -ts_rank(s.doc, {tsquery}), {first("t.reference")}, {sizes if limit else "NULL, NULL, NULL"}
FROM (SELECT rowid, organisation_id, {column} AS doc FROM {TABLE} WHERE {own}rowid < %s
      ORDER BY {order} {limit}) s
CROSS JOIN LATERAL (
    SELECT "tickets_ticket"."id", "tickets_ticket"."reference" FROM "tickets_ticket"
    WHERE "tickets_ticket"."id" = s.rowid AND {where} OFFSET 0
) t
WHERE s.doc @@ {tsquery}
ORDER BY s.{order.replace(", ", ", s.")} LIMIT {want}""",
            [*params, *query.references, below or 2**62, *where_params, *params],
        )

    def older(recent: list[tuple]) -> list[tuple]:
        """Step 3: the rest of the index, below the newest documents already read."""
        if not recent:
            return [row[:3] for row in backwards(None, "", CANDIDATES)]
        rest = backwards(recent[0][5], "", CANDIDATES - len(recent))
        return [row[:3] for row in [*recent, *rest]]

    recent = [] if query.references else backwards(None, f"LIMIT {recent_limit}", CANDIDATES)
    if len(recent) >= CANDIDATES:
        return [row[:3] for row in recent]
    if own and recent:
        if recent[0][4] <= recent_limit:
            return [row[:3] for row in recent]  # every document of the organisation read
        if (CANDIDATES - len(recent)) * recent_limit / len(recent) <= OWN_READ:
            return older(recent)  # the documents still to read, at the density found, are few
    elif recent and len(recent) * max(float(recent[0][3]), RECENT) / RECENT > PROBE:
        return older(recent)
    probe = f"SELECT rowid FROM {TABLE} WHERE {column} @@ {tsquery} LIMIT {PROBE + 1}"
    matches = [row[0] for row in _planned(cursor, ["enable_seqscan", "enable_indexscan"], probe, params)]
    if len(matches) > PROBE:
        return older(recent)
    if not matches:
        return []
    cursor.execute(
        f"""
SELECT c.id, -ts_rank(s.{column}, {tsquery}), c.first FROM (
    SELECT "tickets_ticket"."id" AS id, {first('"tickets_ticket"."reference"')} AS first FROM "tickets_ticket"
    WHERE "tickets_ticket"."id" = ANY(%s) AND {where}
    ORDER BY "tickets_ticket"."id" DESC LIMIT {CANDIDATES}
) c JOIN {TABLE} s ON s.rowid = c.id""",
        [*params, *query.references, matches, *where_params],
    )
    return cursor.fetchall()


def _planned(cursor: Any, off: list[str], sql: str, params: list[Any]) -> list[tuple]:
    """The rows of ``sql`` planned with the planner's methods ``off`` switched off, in one round trip: the
    switches, the statement, the switches back (SET LOCAL lasts until the end of the transaction: the
    request's, or this one)."""
    before = "".join(f"SET LOCAL {name} = off; " for name in off)
    after = "; ".join(f"SET LOCAL {name} TO DEFAULT" for name in off)
    with transaction.atomic(savepoint=False):
        cursor.execute(f"{before}{sql}; {after}", params)
        while cursor.description is None and cursor.nextset():
            pass
        rows = cursor.fetchall()
        while cursor.nextset():  # the statements after it
            pass
    return rows


def _escape_markup(text: str) -> str:
    """&, < and > as entities: what PostgreSQL's headline is computed on (its parser would drop tags), so that
    an excerpt of it maps back, character for character, onto the same escaping of the original."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _excerpt(raw: str, *, escaped: bool = False) -> SafeString:
    """An excerpt with the engine's markers turned into <mark>, everything else escaped (``escaped``: &, <
    and > already are)."""
    text = raw.strip()
    text = text.replace('"', "&quot;").replace("'", "&#x27;") if escaped else escape(text)
    return mark_safe(text.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))  # noqa: S308


def _unfold(headline: str, original: str) -> str:
    """The excerpt ``headline`` (of the folded text, with markers) written with ``original``'s characters,
    accents included; as it is if it cannot be found (it then shows without accents)."""
    plain = headline.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    start = fold(original).find(plain)
    if start < 0:
        return headline
    out, pos = [], start
    for char in headline:
        if char in (MARK_OPEN, MARK_CLOSE):
            out.append(char)
        else:
            out.append(original[pos])
            pos += 1
    return "".join(out)


def _pg_headlines(
    cursor: Any, ids: Sequence[int], query: Query, *, internal: bool
) -> list[tuple[int, str, str]]:
    """PostgreSQL's headlines of the public text and the notes, from their folded, escaped forms (folded in
    Python, see ``_PG_WRITE``), mapped back onto the original characters."""
    holes = ", ".join(["%s"] * len(ids))
    cursor.execute(f"SELECT rowid, public, internal FROM {TABLE} WHERE rowid IN ({holes})", list(ids))
    texts = {
        pk: (_escape_markup(public), _escape_markup(notes) if internal else "")
        for pk, public, notes in cursor
    }
    keys = list(texts)
    folded = [[fold(texts[pk][i]) for pk in keys] for i in (0, 1)]
    tsquery, params = pg_tsquery(query)
    options = "StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=10, ShortWord=2"
    heads = ", ".join(
        f"ts_headline('{c}', u.{t}, q.q, %s)" for t in ("pub", "int") for c in ("french", "english")
    )
    cursor.execute(
        f"SELECT u.id, {heads} FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(id, pub, int), "
        f"(SELECT {tsquery} AS q) AS q",
        [*[options] * 4, keys, *folded, *params],
    )
    rows = []
    for pk, pub_fr, pub_en, int_fr, int_en in cursor.fetchall():
        public = _unfold(pub_fr if MARK_OPEN in pub_fr else pub_en, texts[pk][0])
        notes = _unfold(int_fr if MARK_OPEN in int_fr else int_en, texts[pk][1]) if internal else ""
        rows.append((pk, public, notes))
    return rows


def excerpts(ids: Sequence[int], query: Query, *, internal: bool) -> dict[int, SafeString]:
    """A short excerpt of each ticket with the matching words highlighted: of the public text, or of the
    notes (``internal`` only) when the words are there. Asked for one page of results only."""
    if not ids or not query:
        return {}
    holes = ", ".join(["%s"] * len(ids))
    out: dict[int, SafeString] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            expression = fts5_expression(query, internal=internal)
            notes = f"snippet({TABLE}, 2, char(2), char(3), '…', 14)" if internal else "''"
            cursor.execute(
                f"SELECT rowid, snippet({TABLE}, 1, char(2), char(3), '…', 14), {notes} FROM {TABLE} "
                f"WHERE {TABLE} MATCH %s AND rowid IN ({holes})",
                [expression, *ids],
            )
            rows = cursor.fetchall()
        else:
            rows = _pg_headlines(cursor, ids, query, internal=internal)
    escaped = connection.vendor != "sqlite"
    for pk, public, notes in rows:
        out[pk] = _best_excerpt(public, notes, escaped=escaped)
    return out


def _best_excerpt(public: str, notes: str, *, escaped: bool) -> SafeString:
    """The public text's excerpt, or the notes' when only they hold the words."""
    return _excerpt(
        notes if MARK_OPEN in (notes or "") and MARK_OPEN not in public else public, escaped=escaped
    )


@dataclass
class Results:
    ids: list[int]
    total: int  # at most CANDIDATES
    more: bool  # more than CANDIDATES tickets match
    excerpts: dict[int, SafeString]
    query: Query


def search_page(user: User, text: str, *, offset: int = 0, limit: int = 50, **filters: Any) -> Results:
    """One page of the tickets ``user`` may see that match ``text``, best first (a reference typed as is
    first of all), inside the queue's ``filters`` (``selectors.queue``'s keywords); how many match (up to
    ``CANDIDATES``, then ``more``), and an excerpt of each. Computed inside what ``selectors.queue`` reads:
    a ticket out of scope is neither listed nor counted. Two queries: the ranked candidates, the excerpts.

    The ``CANDIDATES`` most recent matching tickets are ranked (all of them for any but the most frequent
    words): the engines rank every match, and a word found in half a million tickets would cost seconds."""
    query = parse(text)
    scope = _scope_sql(user, filters) if query else None
    if scope is None:
        return Results([], 0, False, {}, query)
    internal = may_see_internal(user)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sql, params = _candidates_sql(query, internal=internal, where=scope[0], where_params=scope[1])
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        else:
            rows = _pg_candidates(
                cursor,
                query,
                internal=internal,
                where=scope[0],
                where_params=scope[1],
                organisation_id=_one_organisation(user, filters),
            )
    rows.sort(key=lambda row: (row[2], row[1], -row[0]))
    page = rows[offset : offset + limit]
    ids = [row[0] for row in page]
    if connection.vendor == "sqlite":
        found = {row[0]: _best_excerpt(row[3], row[4], escaped=False) for row in page}
    else:
        found = excerpts(ids, query, internal=internal)
    return Results(ids, len(rows), len(rows) >= CANDIDATES, found, query)
