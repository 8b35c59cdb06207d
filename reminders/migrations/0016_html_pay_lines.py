"""The HTML part of the seeded e-mails says how to pay, as the text part does (issue 18,
item 6). Only templates still exactly as seeded are changed: one an admin edited is kept."""

from django.db import migrations


def add_pay_lines(apps, schema_editor):
    from reminders.defaults import TEMPLATES
    from reminders.defaults.snippets import HTML_PAY_LINES

    template_model = apps.get_model("reminders", "MessageTemplate")
    for key, languages in TEMPLATES.items():
        for language, channels in languages.items():
            for channel, (_subject, _text, html) in channels.items():
                if HTML_PAY_LINES not in html:
                    continue
                template_model.objects.filter(
                    key=key, language=language, channel=channel,
                    html=html.replace(HTML_PAY_LINES, "")).update(html=html)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0015_message_tone")]
    operations = [migrations.RunPython(add_pay_lines, migrations.RunPython.noop)]
