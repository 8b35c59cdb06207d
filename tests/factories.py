"""factory_boy factories. Invoices and payments are created through the services (see
``make_invoice``/``make_payment`` in conftest), never by writing stored amounts directly."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from clients.models import Client
from receivables.models import PaymentTerms


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"bookkeeper{n}")
    first_name = "Berta"
    last_name = "Keeper"
    is_staff = True
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        """``UserFactory(role="Admin")``; a bookkeeper by default, ``role=""`` for none."""
        from infra.roles import BOOKKEEPER, ensure_groups

        if not create or extracted == "":
            return
        admin, bookkeeper = ensure_groups()
        self.groups.add(admin if extracted == "Admin" else bookkeeper)
        del extracted, kwargs, BOOKKEEPER


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    reference = factory.Sequence(lambda n: f"C-{n:05d}")
    display_name = factory.Sequence(lambda n: f"Client {n} GmbH")
    contact_name = "Erika Mustermann"
    email = factory.Sequence(lambda n: f"ap{n}@example.com")
    mobile_phone = "+4915123456789"
    address_line1 = "Hauptstraße 1"
    postcode = "10115"
    city = "Berlin"
    country = "DE"
    language = "de"
    timezone = "Europe/Berlin"
    default_currency = "EUR"


class TermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentTerms
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Terms {n}")
    net_days = 30


SEED_TERMS = {  # the domain articles' worked terms
    "name": "Net 30 · 5% / 30 days · 1.5%/month after 60 days",
    "net_days": 30,
    "discount_percent": Decimal("5"),
    "discount_days": 30,
    "interest_percent": Decimal("1.5"),
    "interest_period": "month",
    "interest_after_days": 30,
}
