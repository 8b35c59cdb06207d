"""Two indexes fewer on the invoice table, each written on every invoice change (the planning
pass updates ``next_action_at`` on every due invoice, and such an update writes every index):

- ``client_id`` alone: the (client, status) index answers every lookup by client and the
  foreign-key checks.
- on PostgreSQL, the ``varchar_pattern_ops`` copy of the unique ``number`` index that Django
  adds for case-sensitive ``LIKE 'prefix%'`` lookups: nothing looks invoices up that way (the
  searches are case-insensitive and match anywhere, which no B-tree serves), and the unique
  index stays.
"""

import django.db.models.deletion
from django.db import migrations, models

_LIKE_INDEXES = """SELECT indexname FROM pg_indexes
WHERE schemaname = current_schema() AND tablename = 'receivables_invoice'
  AND indexdef LIKE '%(number varchar_pattern_ops)%'"""


def drop_number_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_LIKE_INDEXES)
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore_number_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX IF NOT EXISTS receivables_invoice_number_like "
                          "ON receivables_invoice (number varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0008_payment_sync'),
        ('receivables', '0007_book_snapshot'),
    ]

    operations = [
        migrations.AlterField(
            model_name='invoice',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='clients.client'),
        ),
        migrations.RunPython(drop_number_like_index, restore_number_like_index, elidable=False),
    ]
