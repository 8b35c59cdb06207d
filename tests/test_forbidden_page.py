"""A bookkeeper who opens an admin's page gets a page that says why and where to go, inside
the app's frame — not a bare 403 — and no links into the Django admin."""

import pytest

from infra.roles import ensure_groups
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_bookkeeper_on_configure_gets_a_page_that_explains(client):
    _admin, bookkeepers = ensure_groups()
    user = UserFactory(username="bea", first_name="Bea", last_name="Keeper")
    user.groups.add(bookkeepers)
    client.force_login(user)
    response = client.get("/configure/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not part of your role" in page and "Back to the dashboard" in page
    assert "Bea Keeper" in page
    dashboard = client.get("/", follow=True)
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.content.decode()
    assert "/admin/" not in dashboard.content.decode()  # no links into the Django admin
