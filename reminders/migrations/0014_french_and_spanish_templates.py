"""French and Spanish message templates for existing installs (issue 15, item 9).

A fresh database gets them from 0003 already (install_defaults seeds every language in
reminders.defaults.TEMPLATES); this adds the ones an older install lacks. get_or_create: a
template an admin added or edited in the meantime is kept as it is.
"""

from django.db import migrations

LANGUAGES = ("fr", "es")


def install(apps, schema_editor):
    from reminders.defaults import TEMPLATES

    template_model = apps.get_model("reminders", "MessageTemplate")
    for key, languages in TEMPLATES.items():
        for language in LANGUAGES:
            for channel, (subject, text, html) in languages.get(language, {}).items():
                template_model.objects.get_or_create(
                    key=key, channel=channel, language=language,
                    defaults={"subject": subject, "text": text, "html": html})


class Migration(migrations.Migration):
    dependencies = [("reminders", "0013_contact_policy")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
