"""SQLite: the search index built again with prefix indexes of 3 to 6 characters (it had 3 only).

A prefix query (the word being typed, ``offic*``, and every word's stems, ``call*``) whose length has no
prefix index makes FTS5 merge the doclists of every term with that prefix before the first match comes out,
and bm25 merges them again to count them: 60-80 ms for a word in a third of 1,000,000 tickets. With an index
of that length, the prefix has a doclist of its own, read newest first like a word's and stopped at the
candidates (17 ms for the same query). The index grows by half (403 → 593 MB at 1,000,000 tickets); FTS5
cannot add a prefix index to an existing table, so the table is made again and every ticket indexed again
(about 30 s at 1,000,000 tickets). PostgreSQL's index is unchanged (its GIN index answers prefixes)."""

from django.db import migrations

COLUMNS = 'reference, public, internal, tokenize = "unicode61 remove_diacritics 2"'


def _remake(schema_editor, prefix: str) -> None:
    from guichet.tickets import search

    conn = schema_editor.connection
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {search.TABLE}")
        cursor.execute(f"CREATE VIRTUAL TABLE {search.TABLE} USING fts5({COLUMNS}, prefix = '{prefix}')")
    search.rebuild(using=conn)


def forwards(apps, schema_editor):
    _remake(schema_editor, "3 4 5 6")


def backwards(apps, schema_editor):
    _remake(schema_editor, "3")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0020_clock_ticket_opened")]

    operations = [migrations.RunPython(forwards, backwards)]
