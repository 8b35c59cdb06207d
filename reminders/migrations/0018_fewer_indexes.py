"""Two indexes fewer on the outbox, each written for every planned row: ``scheduled_for``
alone (every query that orders or filters by it asks for one status, and the (status,
scheduled_for) index serves those) and ``instalment_id`` alone (the partial unique
(instalment, step) index holds every row that has an instalment)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('answers', '0002_bank_accounts'),
        ('reminders', '0017_dispatch_lease'),
    ]

    operations = [
        migrations.AlterField(
            model_name='reminder',
            name='instalment',
            field=models.ForeignKey(blank=True, db_index=False, help_text="Set for a payment-plan instalment's reminder.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='answers.instalment'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='scheduled_for',
            field=models.DateTimeField(),
        ),
    ]
