"""Tasks, call attempts and print batches move here from reminders (state only: the tables keep
their names and data)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('answers', '0001_initial'),
        ('clients', '0008_payment_sync'),
        ('receivables', '0004_payment_sync'),
        ('reminders', '0008_move_answers_models_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='PrintBatch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('posted_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('posted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'print batches',
                        'db_table': 'reminders_printbatch',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Task',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('call', 'Call the client'), ('no_channel', 'No working channel'), ('dispute', 'Review a dispute'), ('plan', 'Decide on a payment plan'), ('notice', 'Client answered')], max_length=12)),
                        ('title', models.CharField(max_length=300)),
                        ('script', models.TextField(blank=True, help_text='Call script, rendered from the template.')),
                        ('due_at', models.DateTimeField(db_index=True)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='open', max_length=10)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='settle_tasks', to=settings.AUTH_USER_MODEL)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='clients.client')),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('dispute', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='answers.dispute')),
                        ('invoices', models.ManyToManyField(blank=True, db_table='reminders_task_invoices', related_name='tasks', to='receivables.invoice')),
                        ('plan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='answers.paymentplan')),
                        ('step', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='reminders.cadencestep')),
                    ],
                    options={
                        'db_table': 'reminders_task',
                        'ordering': ['due_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='CallAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(max_length=20)),
                        ('outcome', models.CharField(choices=[('promise', 'Reached: promise to pay'), ('dispute', 'Reached: dispute'), ('plan', 'Reached: payment plan agreed'), ('voicemail', 'Left voicemail'), ('no_answer', 'No answer'), ('wrong_number', 'Wrong number')], max_length=12)),
                        ('note', models.TextField(blank=True)),
                        ('promised_on', models.DateField(blank=True, null=True)),
                        ('promised_amount', models.DecimalField(blank=True, decimal_places=4, max_digits=18, null=True)),
                        ('called_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('called_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='call_attempts', to='clients.client')),
                        ('task', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempts', to='work.task')),
                    ],
                    options={
                        'db_table': 'reminders_callattempt',
                        'ordering': ['-called_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='task',
                    index=models.Index(fields=['status', 'due_at'], name='reminders_t_status_1f157e_idx'),
                ),
                migrations.AddConstraint(
                    model_name='task',
                    constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['call', 'no_channel', 'dispute', 'plan', 'notice'])), name='task_kind_known'),
                ),
                migrations.AddConstraint(
                    model_name='task',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'done', 'cancelled'])), name='task_status_known'),
                ),
                migrations.AddConstraint(
                    model_name='task',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'no_channel'), ('status', 'open')), fields=('client',), name='one_open_no_channel_task_per_client'),
                ),
                migrations.AddConstraint(
                    model_name='callattempt',
                    constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ['promise', 'dispute', 'plan', 'voicemail', 'no_answer', 'wrong_number'])), name='call_outcome_known'),
                ),
        ])]
