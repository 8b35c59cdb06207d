"""Who may use the API: a token (or a session) of a user with the Bookkeeper role."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from api.models import ApiToken
from api.tokens import digest_of, token_create
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def test_without_a_token_the_api_answers_401_and_says_how_to_authenticate():
    response = APIClient().get(CLIENTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "credentials were not provided" in response.json()["detail"]


def test_a_wrong_token_is_refused():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = api.get(CLIENTS)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed",
                               "errors": {}}


def test_a_user_without_a_role_is_refused_with_a_message_that_says_what_to_do():
    response = client_for(UserFactory(role="", username="nobody")).get(CLIENTS)
    assert response.status_code == 403
    assert "no Bookkeeper role" in response.json()["detail"]


@pytest.mark.parametrize("role", ["Bookkeeper", "Admin"])
def test_bookkeepers_and_admins_may_use_it(role):
    response = client_for(UserFactory(role=role, username=f"u-{role}")).get(CLIENTS)
    assert response.status_code == 200


def test_an_inactive_users_token_stops_working():
    user = UserFactory(username="gone")
    api = client_for(user)
    user.is_active = False
    user.save()
    assert api.get(CLIENTS).status_code == 401


def test_api_token_command_creates_prints_once_and_rotates():
    UserFactory(username="sync")
    out = StringIO()
    call_command("api_token", "sync", stdout=out, stderr=StringIO())
    first = out.getvalue().strip()
    stored = ApiToken.objects.get(user__username="sync")
    assert stored.digest == digest_of(first) and first not in stored.digest
    assert stored.prefix == first[:8]

    again = StringIO()
    call_command("api_token", "sync", stdout=again, stderr=StringIO())
    second = again.getvalue().strip()
    assert second != first and ApiToken.objects.filter(user__username="sync").count() == 2

    rotated = StringIO()
    call_command("api_token", "sync", "--rotate", "--days", "7", stdout=rotated,
                 stderr=StringIO())
    new = rotated.getvalue().strip()
    assert list(ApiToken.objects.filter(user__username="sync").values_list("digest", flat=True)
                ) == [digest_of(new)]
    for old_key in (first, second):
        old = APIClient()
        old.credentials(HTTP_AUTHORIZATION=f"Token {old_key}")
        assert old.get(CLIENTS).status_code == 401


def test_api_token_command_lists_and_revokes():
    UserFactory(username="sync")
    out = StringIO()
    call_command("api_token", "sync", "--read-only", "--name", "ledger", stdout=out,
                 stderr=StringIO())
    key = out.getvalue().strip()
    listing = StringIO()
    call_command("api_token", "sync", "--list", stdout=listing)
    assert f"{key[:8]}…" in listing.getvalue() and "read" in listing.getvalue()
    assert key not in listing.getvalue()
    call_command("api_token", "sync", "--revoke", key[:8], stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_api_token_command_refuses_users_the_api_would_refuse():
    UserFactory(username="norole", role="")
    with pytest.raises(CommandError, match="no Bookkeeper role"):
        call_command("api_token", "norole")
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("api_token", "ghost")
    UserFactory(username="sync")
    with pytest.raises(CommandError, match="1 to 365 days"):
        call_command("api_token", "sync", "--days", "0")
    assert not ApiToken.objects.exists()


def test_token_page_creates_shows_once_lists_and_revokes(client):
    user = UserFactory(username="bea")
    client.force_login(user)
    page = client.get(reverse("api:token"))
    assert page.status_code == 200
    assert b"You have no API token yet" in page.content

    created = client.post(reverse("api:token"), {"action": "create", "name": "ledger sync",
                                                 "scope": "write", "days": "90"})
    assert created.status_code == 200
    key = re.search(r'<code id="api-token">([^<]+)</code>', created.content.decode()).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.digest == digest_of(key) and token.name == "ledger sync"
    assert (token.expires_at - token.created_at).days == 90

    listing = client.get(reverse("api:token")).content.decode()
    assert key not in listing  # shown once, never again
    assert f"{key[:8]}…" in listing and "ledger sync" in listing

    other = UserFactory(username="otto")
    token_create(user=other)
    foreign = ApiToken.objects.get(user=other)
    client.post(reverse("api:token"), {"action": "revoke", "token": str(foreign.pk)})
    assert ApiToken.objects.filter(pk=foreign.pk).exists()  # another user's token: untouched

    client.post(reverse("api:token"), {"action": "revoke", "token": str(token.pk)})
    assert not ApiToken.objects.filter(user=user).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(CLIENTS).status_code == 401


def test_token_page_refuses_a_lifetime_beyond_the_maximum(client):
    client.force_login(UserFactory(username="bea"))
    response = client.post(reverse("api:token"), {"action": "create", "scope": "write",
                                                  "days": "5000"})
    assert response.status_code == 400 and "1 to 365 days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_page_keeps_to_the_content_security_policy(client):
    client.force_login(UserFactory(username="bea"))
    page = client.get(reverse("api:token"))
    html = page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "<style" not in html and " style=" not in html and " onclick=" not in html
    assert all("src=" in tag for tag in html.split("<script")[1:])  # no inline code


def test_requests_are_throttled_per_user(api, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/hour"})
    assert [api.get(CLIENTS).status_code for _ in range(4)] == [200, 200, 200, 429]
    other = client_for(UserFactory(username="other"))
    assert other.get(CLIENTS).status_code == 200  # the limit is per user


def test_a_logged_in_bookkeepers_browser_gets_json(client, acme):
    # No browsable HTML pages (their inline styles break the CSP): a browser gets JSON.
    client.force_login(UserFactory(username="bea"))
    page = client.get(CLIENTS, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 200 and page["Content-Type"] == "application/json"
    assert "ACME" in page.content.decode()
