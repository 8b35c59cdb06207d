"""The models of the client's side move here from reminders (state only: the tables keep their
names and data)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('clients', '0008_payment_sync'),
        ('receivables', '0004_payment_sync'),
        ('reminders', '0007_instalment_cadence'),
        # The roles migration grants permissions by app: it runs while these are reminders'.
        ('clients', '0006_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='PaymentPlan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('currency', models.CharField(max_length=3)),
                        ('total', models.DecimalField(decimal_places=4, help_text="What the plan covers: the invoices' balance when it was proposed.", max_digits=19)),
                        ('status', models.CharField(choices=[('proposed', 'Proposed by the client'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('completed', 'Completed'), ('cancelled', 'Cancelled')], default='proposed', max_length=10)),
                        ('channel', models.CharField(default='portal', max_length=12)),
                        ('client_note', models.TextField(blank=True)),
                        ('proposed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decision_note', models.TextField(blank=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payment_plans', to='clients.client')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('invoices', models.ManyToManyField(db_table='reminders_paymentplan_invoices', related_name='payment_plans', to='receivables.invoice')),
                    ],
                    options={
                        'db_table': 'reminders_paymentplan',
                        'ordering': ['-proposed_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Instalment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField()),
                        ('due_date', models.DateField()),
                        ('amount', models.DecimalField(decimal_places=4, max_digits=19)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='instalments', to='answers.paymentplan')),
                    ],
                    options={
                        'db_table': 'reminders_instalment',
                        'ordering': ['plan', 'number'],
                    },
                ),
                migrations.CreateModel(
                    name='PortalSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('singleton', models.BooleanField(default=True, editable=False, unique=True)),
                        ('link_valid_days', models.PositiveSmallIntegerField(default=60, help_text='A pay-now link works this many days after the message that carried it. Every new reminder carries a new link.')),
                        ('promise_max_days', models.PositiveSmallIntegerField(default=45, help_text='A client may promise a payment date at most this many days ahead.')),
                        ('plan_max_instalments', models.PositiveSmallIntegerField(default=6, help_text='Most instalments a client may propose.')),
                        ('plan_max_months', models.PositiveSmallIntegerField(default=6, help_text='The last instalment at most this many months after the proposal.')),
                        ('plan_first_within_days', models.PositiveSmallIntegerField(default=30, help_text='The first instalment at most this many days after the proposal.')),
                        ('plan_min_instalment', models.JSONField(blank=True, default=dict, help_text='Smallest instalment per currency, e.g. {"EUR": "50", "USD": "50", "JPY": "5000"}. No entry: no minimum.')),
                        ('callback_days', models.PositiveSmallIntegerField(default=10, help_text='A client may ask for a call back within this many business days.')),
                        ('dispute_attachment_mb', models.PositiveSmallIntegerField(default=5, help_text='Largest attachment to a dispute (PDF, PNG or JPEG).')),
                        ('account_holder', models.CharField(blank=True, max_length=140)),
                        ('bank_name', models.CharField(blank=True, max_length=140)),
                        ('iban', models.CharField(blank=True, max_length=42, verbose_name='IBAN')),
                        ('bic', models.CharField(blank=True, max_length=11, verbose_name='BIC')),
                        ('account_number', models.CharField(blank=True, help_text='For accounts without an IBAN (US, ...).', max_length=34)),
                        ('routing_number', models.CharField(blank=True, help_text='US ABA routing number (9 digits).', max_length=9)),
                        ('accepts_cheques', models.BooleanField(default=False)),
                        ('cheque_payee', models.CharField(blank=True, max_length=140)),
                    ],
                    options={
                        'verbose_name': 'pay-now settings',
                        'verbose_name_plural': 'pay-now settings',
                        'db_table': 'reminders_portalsettings',
                        'constraints': [models.CheckConstraint(condition=models.Q(('singleton', True)), name='portal_settings_single_row')],
                    },
                ),
                migrations.CreateModel(
                    name='Dispute',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('wrong_amount', 'The amount is wrong'), ('not_received', 'We did not receive the goods or service'), ('quality', 'A problem with the work or goods'), ('already_paid', 'We already paid this'), ('not_ours', 'This invoice is not ours'), ('other', 'Something else')], max_length=16)),
                        ('message', models.TextField(blank=True)),
                        ('attachment', models.FileField(blank=True, upload_to='disputes/%Y/%m/')),
                        ('attachment_name', models.CharField(blank=True, max_length=200)),
                        ('attachment_type', models.CharField(blank=True, max_length=40)),
                        ('channel', models.CharField(default='portal', max_length=12)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('resolved', 'Resolved')], default='open', max_length=10)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='clients.client')),
                        ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='receivables.invoice')),
                    ],
                    options={
                        'db_table': 'reminders_dispute',
                        'ordering': ['-created_at'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('reason__in', ['wrong_amount', 'not_received', 'quality', 'already_paid', 'not_ours', 'other'])), name='dispute_reason_known')],
                    },
                ),
                migrations.CreateModel(
                    name='PayLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('purpose', models.CharField(default='reminder', help_text='What the link was made for: reminder, call, bookkeeper, receipt.', max_length=40)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('expires_at', models.DateTimeField()),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('first_visit_at', models.DateTimeField(blank=True, null=True)),
                        ('last_visit_at', models.DateTimeField(blank=True, null=True)),
                        ('visits', models.PositiveIntegerField(default=0)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pay_links', to='clients.client')),
                        ('message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='pay_links', to='reminders.outboundmessage')),
                    ],
                    options={
                        'db_table': 'reminders_paylink',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['client', '-created_at'], name='reminders_p_client__cc5e45_idx')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='paymentplan',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['proposed', 'accepted', 'declined', 'completed', 'cancelled'])), name='plan_status_known'),
                ),
                migrations.AddConstraint(
                    model_name='paymentplan',
                    constraint=models.CheckConstraint(condition=models.Q(('total__gt', 0)), name='plan_total_positive'),
                ),
                migrations.AddConstraint(
                    model_name='instalment',
                    constraint=models.UniqueConstraint(fields=('plan', 'number'), name='instalment_number_once'),
                ),
                migrations.AddConstraint(
                    model_name='instalment',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='instalment_amount_positive'),
                ),
        ])]
