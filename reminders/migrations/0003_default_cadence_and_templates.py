from django.db import migrations


def install(apps, schema_editor):
    from reminders.defaults import install_defaults

    install_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0002_cadence_cadencestep_messagetemplate_outboundmessage_and_more"),
                    ("clients", "0003_interaction_append_only")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
