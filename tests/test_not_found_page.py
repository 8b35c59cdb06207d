"""A page that does not exist answers 404 in the site's layout, for a bookkeeper (with the way
back to the dashboard) and for a client following an old link (no login, no internals)."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_bookkeeper_gets_the_404_page_in_the_sites_layout(client):
    client.force_login(UserFactory(username="berta", first_name="Berta", last_name="Keeper"))
    response = client.get("/desk/clients/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing at this address" in page
    assert 'class="topbar"' in page and "Back to the dashboard" in page


def test_a_client_with_a_stale_link_gets_a_plain_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing at this address" in page and "latest reminder" in page
    assert "Traceback" not in page and "dashboard" not in page
