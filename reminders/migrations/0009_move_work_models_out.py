"""Tasks, call attempts and print batches move to the work app (state only); content types
follow them, so permissions granted on them are kept."""

import django.db.models.deletion
from django.db import migrations, models

ANSWERS = ["paylink", "portalsettings", "paymentplan", "instalment", "dispute"]
WORK = ["task", "callattempt", "printbatch"]


def _move(apps, moves):
    content_type = apps.get_model("contenttypes", "ContentType")
    for (old, new), names in moves:
        content_type.objects.filter(app_label=old, model__in=names).update(app_label=new)


def content_types_follow(apps, schema_editor):
    _move(apps, [(("reminders", "answers"), ANSWERS), (("reminders", "work"), WORK)])


def content_types_return(apps, schema_editor):
    _move(apps, [(("answers", "reminders"), ANSWERS), (("work", "reminders"), WORK)])


class Migration(migrations.Migration):

    dependencies = [
        ('reminders', '0008_move_answers_models_out'),
        ('work', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [migrations.RunPython(content_types_follow, content_types_return),
                  migrations.SeparateDatabaseAndState(state_operations=[
                migrations.AlterField(
                    model_name='outboundmessage',
                    name='print_batch',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='letters', to='work.printbatch'),
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='assigned_to',
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='closed_by',
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='invoices',
                ),
                migrations.RemoveField(
                    model_name='task',
                    name='step',
                ),
                migrations.DeleteModel(
                    name='CallAttempt',
                ),
                migrations.DeleteModel(
                    name='Dispute',
                ),
                migrations.DeleteModel(
                    name='Instalment',
                ),
                migrations.DeleteModel(
                    name='PayLink',
                ),
                migrations.DeleteModel(
                    name='PaymentPlan',
                ),
                migrations.DeleteModel(
                    name='PrintBatch',
                ),
                migrations.DeleteModel(
                    name='Task',
                ),
        ])]
