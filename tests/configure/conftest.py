"""Browsers signed in by role. The reminder fixtures (``at_now``, ``overdue``, ``owner``) come
from the root conftest."""

from typing import Any

import pytest

from tests.factories import UserFactory


@pytest.fixture
def admin_user(db: Any) -> Any:
    return UserFactory(username="ada", email="ada@settle.example", first_name="Ada",
                       last_name="Admin", role="Admin")


@pytest.fixture
def admin(client: Any, admin_user: Any) -> Any:
    """A browser signed in as an admin (role Admin, not a superuser)."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def bookkeeper_browser(client: Any, db: Any) -> Any:
    client.force_login(UserFactory(username="bert"))
    return client
