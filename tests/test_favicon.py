"""/favicon.ico, asked for whatever the page's icon link says, leads to the icon."""

import pytest

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
