"""The timeline is append-only in the database too, not only in the ORM: a trigger refuses
UPDATE on interactions (both databases) and DELETE (PostgreSQL; SQLite's test flush deletes
rows, so there the ORM guard is what refuses deletes)."""

from django.db import migrations

TABLES = ("clients_interaction", "clients_interactioninvoice")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION settle_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'settle: % rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION settle_append_only();")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'settle: {table} rows are append-only'); END;")


def uninstall(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]
    operations = [migrations.RunPython(install, uninstall)]
