"""PostgreSQL: each search document keeps its ticket's organisation (``tickets_search.organisation_id``,
which never changes), indexed with the document's id, so that a search limited to one organisation (every
customer's) reads that organisation's newest documents instead of everyone's (tickets.search._pg_candidates).
Filled from the tickets in one statement; a row whose ticket is gone (never read) is dropped. Nothing
changes on SQLite (its FTS5 table is read through the match)."""

from django.db import migrations

FORWARDS = [
    "ALTER TABLE tickets_search ADD COLUMN organisation_id bigint",
    """UPDATE tickets_search s SET organisation_id = t.organisation_id
       FROM tickets_ticket t WHERE t.id = s.rowid""",
    "DELETE FROM tickets_search WHERE organisation_id IS NULL",
    "ALTER TABLE tickets_search ALTER COLUMN organisation_id SET NOT NULL",
    "CREATE INDEX tickets_search_organisation ON tickets_search (organisation_id, rowid)",
    # The planner's statistics of the new column and index (ANALYZE may run in the migration's transaction;
    # VACUUM may not: autovacuum follows a rewrite of every row within a minute, docs/operations.md).
    "ANALYZE tickets_search",
]
BACKWARDS = ["ALTER TABLE tickets_search DROP COLUMN organisation_id"]


def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, FORWARDS)


def backwards(apps, schema_editor):
    _run(schema_editor, BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0021_search_prefix_lengths")]

    operations = [migrations.RunPython(forwards, backwards)]
