from collections.abc import Callable
from typing import Any

import pytest

from answers import links
from tests.reminders.conftest import at_now, overdue, owner, postmark  # noqa: F401


@pytest.fixture
def issue(db: Any) -> Callable[..., links.IssuedLink]:
    def make(client: Any, **kwargs: Any) -> links.IssuedLink:
        return links.link_issue(client=client, **kwargs)
    return make
