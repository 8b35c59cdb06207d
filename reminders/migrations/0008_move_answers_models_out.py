"""Pay links, pay-now settings, plans and disputes move to the answers app (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('answers', '0001_initial'),
        ('reminders', '0007_instalment_cadence'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
                migrations.RemoveField(
                    model_name='callattempt',
                    name='called_by',
                ),
                migrations.RemoveField(
                    model_name='callattempt',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='callattempt',
                    name='task',
                ),
                migrations.RemoveField(
                    model_name='dispute',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='dispute',
                    name='invoice',
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='dispute',
                ),
                migrations.RemoveField(
                    model_name='instalment',
                    name='plan',
                ),
                migrations.AlterField(
                    model_name='reminder',
                    name='instalment',
                    field=models.ForeignKey(blank=True, help_text="Set for a payment-plan instalment's reminder.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='answers.instalment'),
                ),
                migrations.RemoveField(
                    model_name='paylink',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='paylink',
                    name='message',
                ),
                migrations.RemoveField(
                    model_name='paymentplan',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='paymentplan',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='paymentplan',
                    name='invoices',
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='plan',
                ),
                migrations.DeleteModel(
                    name='PortalSettings',
                ),
                migrations.RemoveField(
                    model_name='printbatch',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='printbatch',
                    name='posted_by',
                ),
        ])]
