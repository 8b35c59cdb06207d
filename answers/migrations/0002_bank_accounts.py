"""Bank accounts per currency. The pay-now settings' single account becomes the first one: its
IBAN's account, in the currency its country holds (``banking.account_currency``), and a US
routing and account number as the dollar account. The old fields stay, read only: they answer
only while no bank account was ever set up (an IBAN of a country whose currency is not known
is therefore not carried over, and keeps answering as before)."""

from typing import Any

import django.utils.timezone
from django.db import migrations, models

import infra.text
from answers.banking import account_currency


def carry_over(apps: Any, schema_editor: Any) -> None:
    """The pay-now settings' account as bank accounts; nothing when there is none, or when
    bank accounts exist already (run again, it adds nothing)."""
    settings_model = apps.get_model("answers", "PortalSettings")
    account_model = apps.get_model("answers", "BankAccount")
    row = settings_model.objects.filter(singleton=True).first()
    if row is None or account_model.objects.exists():
        return
    holder, bank = row.account_holder.strip(), row.bank_name.strip()
    iban = row.iban.replace(" ", "").upper()
    currency = account_currency(iban) if iban else ""
    if currency:
        account_model.objects.create(currency=currency, scheme="iban", holder=holder,
                                     bank_name=bank, iban=iban,
                                     bic=row.bic.replace(" ", "").upper())
    routing, number = row.routing_number.strip(), row.account_number.strip()
    if routing and number and currency != "USD":
        account_model.objects.create(currency="USD", scheme="us", holder=holder,
                                     bank_name="" if currency else bank,
                                     routing_number=routing, account_number=number)


class Migration(migrations.Migration):

    dependencies = [
        ('answers', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='portalsettings',
            name='account_holder',
            field=models.CharField(blank=True, editable=False, max_length=140),
        ),
        migrations.AlterField(
            model_name='portalsettings',
            name='account_number',
            field=models.CharField(blank=True, editable=False, help_text='For accounts without an IBAN (US, ...).', max_length=34),
        ),
        migrations.AlterField(
            model_name='portalsettings',
            name='bank_name',
            field=models.CharField(blank=True, editable=False, max_length=140),
        ),
        migrations.AlterField(
            model_name='portalsettings',
            name='bic',
            field=models.CharField(blank=True, editable=False, max_length=11, verbose_name='BIC'),
        ),
        migrations.AlterField(
            model_name='portalsettings',
            name='iban',
            field=models.CharField(blank=True, editable=False, max_length=42, verbose_name='IBAN'),
        ),
        migrations.AlterField(
            model_name='portalsettings',
            name='routing_number',
            field=models.CharField(blank=True, editable=False, help_text='US ABA routing number (9 digits).', max_length=9),
        ),
        migrations.CreateModel(
            name='BankAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(help_text='ISO 4217 code: EUR, GBP, USD, ...', max_length=3)),
                ('scheme', models.CharField(choices=[('iban', 'IBAN and BIC'), ('uk', 'UK sort code and account number'), ('us', 'US routing number (ABA) and account number'), ('other', 'Other details (free text)')], default='iban', max_length=5, verbose_name='kind of details')),
                ('holder', models.CharField(help_text='The name the bank holds the account under.', max_length=140, validators=[infra.text.TextValidator('The account holder', multiline=False)], verbose_name='account holder')),
                ('bank_name', models.CharField(blank=True, max_length=140, validators=[infra.text.TextValidator("The bank's name", multiline=False)], verbose_name='bank')),
                ('iban', models.CharField(blank=True, help_text='Spaces are fine: DE89 3704 0044 0532 0130 00.', max_length=42, verbose_name='IBAN')),
                ('bic', models.CharField(blank=True, help_text='Also called SWIFT code.', max_length=11, verbose_name='BIC')),
                ('sort_code', models.CharField(blank=True, help_text='6 digits, e.g. 12-34-56.', max_length=8)),
                ('account_number', models.CharField(blank=True, help_text='UK: 8 digits. US: 4 to 17 digits.', max_length=34)),
                ('routing_number', models.CharField(blank=True, help_text='9 digits.', max_length=11, verbose_name='routing number (ABA)')),
                ('details', models.TextField(blank=True, help_text='For any other currency: what a client types into their bank (account number, bank code, SWIFT, ...), one item per line.', max_length=600, validators=[infra.text.TextValidator('The details')])),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['-active', 'currency', 'pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('active', True)), fields=('currency',), name='bank_account_one_active_per_currency', violation_error_message='There is already an active account in this currency.')],
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop, elidable=True),
    ]
