"""PostgreSQL's search documents now hold each ticket's organisation as a lexeme (tickets.search.org_lexeme),
so that a customer's search is answered by the GIN index alone: every document is written again. Nothing
changes on SQLite."""

from django.db import migrations


def rewrite(apps, schema_editor):
    from guichet.tickets import search

    if schema_editor.connection.vendor == "postgresql":
        search.rebuild(using=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_search")]

    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
