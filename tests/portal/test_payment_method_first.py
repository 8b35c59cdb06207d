"""The way the client told us they pay leads the pay-now page (issue 15, item 8): bank details
before the card button for a client who pays by transfer, the card button first for one who
pays by card."""

from typing import Any

import pytest

from answers.models import PortalSettings
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("methods", "first"), [
    (["bank_transfer", "card"], "transfer"),
    (["card", "bank_transfer"], "card"),
    ([], "transfer"),  # nothing said: the default, a bank transfer
])
def test_the_preferred_payment_method_comes_first(client: Any, issue: Any, overdue: Any,
                                                  settings: Any, methods: list[str],
                                                  first: str) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Settle Demo Ltd", "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX"})
    customer = ClientFactory(payment_methods=methods)
    overdue(customer, 5)
    html = client.get(f"/p/{issue(customer).token}/").content.decode()
    transfer, card = html.index('class="transfer"'), html.index('type="submit" class="primary"')
    assert (transfer < card) is (first == "transfer")
