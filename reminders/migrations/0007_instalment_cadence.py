from django.db import migrations


def install(apps, schema_editor):
    from reminders.defaults import install_instalment_cadence

    install_instalment_cadence(apps)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0006_pay_links_plans_disputes")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
