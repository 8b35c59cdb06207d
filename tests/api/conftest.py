from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from api.tokens import token_create
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Tuesday 17 March 2026, 10:30 in Berlin."""
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user: Any) -> APIClient:
    """An API client sending ``user``'s token, as an accounting system would."""
    api = APIClient()
    _, key = token_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


@pytest.fixture
def api_user(db: Any) -> Any:
    return UserFactory(username="ledger-sync")


@pytest.fixture
def api(api_user: Any) -> APIClient:
    return client_for(api_user)


@pytest.fixture
def acme(db: Any) -> Any:
    return ClientFactory(reference="ACME", display_name="Acme GmbH")
