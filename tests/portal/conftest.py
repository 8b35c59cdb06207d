from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from reminders import links
from tests.reminders.conftest import at_now, overdue, owner, postmark  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache: every test starts with none."""
    cache.clear()


@pytest.fixture
def issue(db: Any) -> Callable[..., links.IssuedLink]:
    def make(client: Any, **kwargs: Any) -> links.IssuedLink:
        return links.link_issue(client=client, **kwargs)
    return make
