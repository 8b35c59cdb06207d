"""The planning pass's update of ``next_action_at`` becomes a HOT update on PostgreSQL: no index
on the column (an update of an indexed column writes a new entry in every index of the table),
and 15 % of each heap page kept free (fillfactor 85) so the new row version fits on the page of
the old one. The fillfactor applies to pages written from now on; ``VACUUM FULL
receivables_invoice`` applies it to an existing book at once (it locks the table meanwhile).
"""

from django.db import migrations


def keep_room_for_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE receivables_invoice SET (fillfactor = 85)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE receivables_invoice RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('receivables', '0008_fewer_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='invoice',
            name='receivables_next_ac_c94586_idx',
        ),
        migrations.RunPython(keep_room_for_updates, fill_pages, elidable=False),
    ]
