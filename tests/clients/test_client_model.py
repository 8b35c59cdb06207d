"""Client validation: contact points, locale and preferences, with clear messages."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import Client, ClientTag
from clients.services import client_create

pytestmark = pytest.mark.django_db

VALID = {"reference": "C-1", "display_name": "Acme", "email": "ap@example.com",
         "country": "DE", "timezone": "Europe/Berlin", "default_currency": "EUR"}


def test_phone_is_normalized_to_e164_using_the_country():
    client = client_create(**VALID, mobile_phone="0151 23456789", phone="+49 30 901820",
                           tags=["High-Value", "high-value"])
    assert client.mobile_phone == "+4915123456789"
    assert client.phone == "+4930901820"
    assert list(client.tags.values_list("name", flat=True)) == ["high-value"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("mobile_phone", "12345", "is not a valid phone number"),
    ("mobile_phone", "call me maybe", "is not a phone number"),
    ("timezone", "Mars/Olympus", "Unknown time zone"),
    ("default_currency", "EURO", "Unknown currency"),
    ("country", "XX", "Unknown country"),
    ("language", "xx", "is not a valid choice"),
    ("email", "not-an-email", "valid email"),
    ("channel_preferences", ["email", "pigeon"], "Unknown channel preference: pigeon"),
    ("channel_preferences", ["sms", "sms"], "lists an entry twice"),
    ("payment_methods", ["bitcoin"], "Unknown payment method"),
    ("pay_run_days", [15, 32], "not a day of the month"),
])
def test_bad_client_input_rejected_and_nothing_written(field, value, message):
    tags_before = ClientTag.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        client_create(**{**VALID, field: value}, tags=["new-tag"])
    assert message in " ".join(excinfo.value.message_dict[field])
    assert not Client.objects.exists()
    assert ClientTag.objects.count() == tags_before


def test_pay_run_is_stored_canonically_and_described():
    client = client_create(**VALID, pay_run_days=["last-business", 15, 15])
    assert client.pay_run_days == [15, "last-business"]
    assert client.pay_run_description == "15th and last business day"


def test_database_refuses_a_non_e164_mobile_even_without_validation():
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.create(**{**VALID, "mobile_phone": "0151 23456789"})


def test_client_defaults_come_from_settings(settings):
    client = client_create(reference="C-2", display_name="Beta")
    assert (client.default_currency, client.timezone, client.country) == (
        settings.SETTLE_DEFAULT_CURRENCY, settings.SETTLE_DEFAULT_TIMEZONE,
        settings.SETTLE_DEFAULT_COUNTRY)
    assert client.channel_preferences == ["email", "sms", "letter", "phone"]
