"""The search index (guichet.tickets.search): an FTS5 virtual table on SQLite, a side table with two tsvector
columns and their GIN indexes on PostgreSQL; then every ticket already in the database is indexed.

No foreign key on PostgreSQL: Django does not know this table, and its flush (TRUNCATE of the tables it knows)
would be refused. A row whose ticket is gone is never read (searches join the tickets), and a ticket's row is
rewritten whenever the ticket is created or changes."""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE tickets_search USING fts5(
        reference, public, internal, tokenize = "unicode61 remove_diacritics 2", prefix = '3'
    )""",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS tickets_search"]

POSTGRESQL = [
    """CREATE TABLE tickets_search (
        rowid bigint PRIMARY KEY,
        public text NOT NULL,
        internal text NOT NULL,
        public_doc tsvector NOT NULL,
        staff_doc tsvector NOT NULL
    )""",
    "CREATE INDEX tickets_search_public ON tickets_search USING gin (public_doc)",
    "CREATE INDEX tickets_search_staff ON tickets_search USING gin (staff_doc)",
]
POSTGRESQL_DROP = ["DROP TABLE IF EXISTS tickets_search"]


def create(apps, schema_editor):
    from guichet.tickets import search

    conn = schema_editor.connection
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(conn.vendor, [])
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    if statements:
        search.rebuild(using=conn)


def drop(apps, schema_editor):
    conn = schema_editor.connection
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}.get(conn.vendor, [])
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_dashboard_period_indexes"),
        ("customers", "0009_ordering_ties_broken_by_id"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
