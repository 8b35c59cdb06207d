"""Issue 16, items 8 to 12: what a production installation shares, limits and refuses.

Rate-limit counters shared by every web worker (and `check --deploy` failing while they would
not be), the login lockout per address across usernames, a body above the cap refused before it
is read, API tokens stored as hashes with an expiry, a scope and revocation, `Cache-Control`
on signed-in pages, the Django admin for superusers only, and the e-mail tracking webhook shut
while it has no secret.

Two web workers are two processes, each with its own settings-built cache; here each "worker"
is the same settings with its own cache configuration, switched between requests: a per-process
cache (locmem, its own memory per worker) against one shared store (the database cache on both
databases; a real Redis in the PostgreSQL pass)."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import secrets
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from api.models import ApiToken, TokenScope
from api.tokens import digest_of, token_create
from clients.models import BusinessProfile, ContactFlag
from config import checks as deploy_checks
from infra.http import PrivateCacheMiddleware, RequestSizeLimitMiddleware
from receivables.models import PaymentTerms
from reminders.models import MessageEvent, OutboundMessage
from reminders.tick import reminders_tick
from tests.battery.test_login_lockout import log_in, logged_in
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 17, 10, 30, tzinfo=BERLIN)  # a Tuesday
PASSWORD = "pw-for-tests-only"  # UserFactory's
ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"
CLIENTS = "/api/v1/clients/"
FIFTY_MB = 50 * 1024 * 1024


# --- 8. rate limits shared by the workers; `check --deploy` ------------------------------------

def _guesses(client: Any, settings: Any, workers: list[dict[str, Any]], count: int) -> list[int]:
    """``count`` guessed pay-now links from one address, spread over ``workers`` in turn."""
    codes = []
    for attempt in range(count):
        settings.CACHES = {"default": workers[attempt % len(workers)]}
        codes.append(client.get(f"/p/guess{attempt:017d}/").status_code)
    return codes


def _two_private_workers() -> list[dict[str, Any]]:
    run = uuid.uuid4().hex
    return [{"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
             "LOCATION": f"worker-{n}-{run}"} for n in (1, 2)]


def test_rate_limit_counts_across_workers_only_with_a_shared_cache(client, settings, battery):
    settings.SETTLE_PORTAL_RATE_PER_IP = "5/m"
    with time_machine.travel(NOW, tick=False):
        battery.tried("10 guessed pay-now links from one address in a minute (limit 5/m), "
                      "alternating between two workers that each keep a locmem cache")
        codes = _guesses(client, settings, _two_private_workers(), 10)
        assert codes == [404] * 10
        battery.held("all 10 answered (404): each worker counted only its own 5 — the "
                     "per-process counters of the issue (N workers let N × the limit through)")

        shared = {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                  "LOCATION": f"settle_rl_{uuid.uuid4().hex[:8]}"}
        settings.CACHES = {"default": shared}
        call_command("createcachetable", verbosity=0)
        battery.tried("the same 10 guesses, the two workers sharing one cache (the database "
                      "cache, as a stand-in for the Redis of CACHE_URL)")
        codes = _guesses(client, settings, [shared, dict(shared)], 10)
        assert codes == [404] * 5 + [429] * 5
        battery.held("the 6th guess, whichever worker took it, got 429: one counter for both")


@pytest.mark.enable_socket
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="runs in the PostgreSQL pass of `make test` (starts a Redis)")
def test_rate_limit_counts_across_workers_on_redis(client, settings, redis_url, battery):
    settings.SETTLE_PORTAL_RATE_PER_IP = "5/m"
    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
              "LOCATION": redis_url.rsplit("/", 1)[0] + "/3"}
    with time_machine.travel(NOW, tick=False):
        battery.tried("10 guessed pay-now links, alternating between two workers whose "
                      "CACHE_URL is the same Redis")
        try:
            codes = _guesses(client, settings, [shared, dict(shared)], 10)
        finally:
            settings.CACHES = {"default": shared}
            from django.core.cache import cache
            cache.clear()
        assert codes == [404] * 5 + [429] * 5
        battery.held("the 6th guess got 429: both workers counted in Redis")


def test_deploy_check_refuses_a_process_local_cache(settings, battery):
    battery.tried("the deploy checks with a locmem cache, a dummy cache, the database cache "
                  "and Redis")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    [error] = deploy_checks.check_shared_rate_limit_cache()
    assert error.id == "settle.E001" and error.is_serious()
    assert "CACHE_URL" in error.hint and "per web worker" in error.msg
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert deploy_checks.check_shared_rate_limit_cache()[0].id == "settle.E001"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "x"}}
    [warning] = deploy_checks.check_shared_rate_limit_cache()
    assert warning.id == "settle.W001" and not warning.is_serious()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/1"}}
    assert deploy_checks.check_shared_rate_limit_cache() == []
    battery.held("locmem and dummy: error settle.E001 (names CACHE_URL); database cache: "
                 "warning (not atomic); Redis: clean")


def _production_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE",
                                "CACHE_URL", "ESP", "ANYMAIL_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production",
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="settle.example",
               SITE_URL="https://settle.example", SETTLE_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_check_deploy_fails_without_a_shared_cache_or_a_webhook_secret(tmp_path, battery):
    battery.tried("`manage.py check --deploy` with production settings, no CACHE_URL, and "
                  "ESP=postmark without ANYMAIL_WEBHOOK_SECRET")
    result = _production_check(tmp_path, ESP="postmark", ANYMAIL_POSTMARK_SERVER_TOKEN="x")
    output = result.stderr + result.stdout
    assert result.returncode != 0
    assert "settle.E001" in output and "settle.E002" in output
    assert "ANYMAIL_WEBHOOK_SECRET" in output and "CACHE_URL" in output
    battery.held("exit status 1 with settle.E001 (cache per process) and settle.E002 (ESP "
                 "without webhook secret), each naming the variable to set")

    fixed = _production_check(tmp_path, ESP="postmark", ANYMAIL_POSTMARK_SERVER_TOKEN="x",
                              ANYMAIL_WEBHOOK_SECRET="hook:" + secrets.token_urlsafe(24),
                              CACHE_URL="redis://127.0.0.1:6379/1")
    assert fixed.returncode == 0, fixed.stderr + fixed.stdout
    battery.held("with CACHE_URL (Redis) and the secret set: the check passes")


# --- 8. login lockout per address across usernames ------------------------------------------

def test_password_spraying_locks_the_address_across_usernames(settings, battery):
    per_address = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert per_address == 30 and settings.AXES_FAILURE_LIMIT == 5
    UserFactory(username="berta")
    UserFactory(username="mallory")  # the attacker's own, valid account
    with time_machine.travel(NOW, tick=False) as clock:
        battery.tried(f"password spraying from {ATTACKER}: one wrong password each for "
                      f"{per_address - 1} different usernames, then the attacker logs in to "
                      "an account of their own")
        for n in range(per_address - 1):
            assert log_in(f"user{n}", "Spring2026!", ATTACKER).status_code == 200, n
        assert logged_in(log_in("mallory", PASSWORD, ATTACKER))
        battery.held(f"{per_address - 1} failures, none for the same username twice: not "
                     "locked yet (an office behind one address survives typos)")

        battery.tried("one more wrong password, for yet another username")
        assert log_in("user-last", "Spring2026!", ATTACKER).status_code == 429
        battery.held(f"failure {per_address} from the address answered 429: the successful "
                     "log-in in between reset only mallory's own count, not the address's")

        assert log_in("berta", PASSWORD, ATTACKER).status_code == 429
        assert logged_in(log_in("berta", PASSWORD, OFFICE))
        battery.held("berta's right password from the sprayed address: 429; from another "
                     "address: logged in")

        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert logged_in(log_in("berta", PASSWORD, ATTACKER))
        battery.held("after the cool-off the address may log in again")


# --- 9. request size ------------------------------------------------------------------------

class UnreadableBody:
    """A ``wsgi.input`` that records every read: a 50 MB request whose body nobody reads."""

    def __init__(self) -> None:
        self.read_bytes = 0
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        chunk = b"x" * (64 if size is None or size < 0 else min(size, 64))
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_a_50_mb_request_is_refused_with_413_before_it_is_read(client, battery):
    client.force_login(UserFactory(username="berta"))
    battery.tried("a POST declaring Content-Length: 50 MB (multipart, an import upload) to "
                  "/transfer/ as a bookkeeper, and to an anonymous pay-now dispute form")
    for path in ("/transfer/", "/p/" + "x" * 22 + "/dispute/"):
        body = UnreadableBody()
        response = client.generic("POST", path, b"", content_type=(
            "multipart/form-data; boundary=settle"), CONTENT_LENGTH=str(FIFTY_MB),
            **{"wsgi.input": body})
        assert response.status_code == 413, path
        assert "larger than 21 MB" in response.content.decode()
        assert response["Connection"] == "close"
        assert body.reads == 0 and body.read_bytes == 0, path
    battery.held("413 'The request is larger than 21 MB…' for both, 0 bytes of the body read, "
                 "the connection closed")

    battery.tried("a non-numeric Content-Length")
    response = client.generic("POST", "/transfer/", b"", CONTENT_LENGTH="50MB")
    assert response.status_code == 400
    battery.held("400 before anything else runs")


def test_a_body_within_the_cap_is_passed_on_and_the_form_limits_are_set(settings, battery):
    seen: list[str] = []

    def view(request: Any) -> HttpResponse:
        seen.append(request.path)
        return HttpResponse("ok")

    middleware = RequestSizeLimitMiddleware(view)
    limit = settings.SETTLE_MAX_REQUEST_BYTES
    at_limit = RequestFactory().post("/transfer/", b"", content_type="text/csv")
    at_limit.META["CONTENT_LENGTH"] = str(limit)
    assert middleware(at_limit).status_code == 200 and seen == ["/transfer/"]
    over = RequestFactory().post("/transfer/", b"", content_type="text/csv")
    over.META["CONTENT_LENGTH"] = str(limit + 1)
    assert middleware(over).status_code == 413 and seen == ["/transfer/"]
    battery.held(f"exactly {limit:,} bytes reach the view (the 20 MB import fits); one more "
                 "byte is refused")
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 1000
    gunicorn: dict[str, Any] = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), gunicorn)  # our own config file
    assert gunicorn["limit_request_line"] <= 4094 and gunicorn["limit_request_fields"] <= 100
    assert gunicorn["limit_request_field_size"] <= 8190
    battery.held("form fields ≤ 2.5 MB in memory, ≤ 1,000 fields, files above 2.5 MB spooled "
                 "to disk; gunicorn.conf.py bounds the request line and headers")


# --- 10. API tokens ---------------------------------------------------------------------------

def _api(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_api_tokens_are_stored_as_hashes_expire_have_a_scope_and_can_be_revoked(battery):
    user = UserFactory(username="ledger-sync")
    with time_machine.travel(NOW, tick=False) as clock:
        battery.tried("a token created for the accounting system, then the database read")
        token, key = token_create(user=user, name="ledger")
        stored = [str(value) for row in ApiToken.objects.values() for value in row.values()]
        assert not any(key in value for value in stored)
        assert token.digest == hashlib.sha256(key.encode()).hexdigest()
        assert (token.expires_at - token.created_at) == timedelta(days=90)
        assert _api(key).get(CLIENTS).status_code == 200
        battery.held("the database holds the SHA-256 and an 8-character prefix, never the "
                     "token; it works, and expires in 90 days")

        battery.tried("the token on day 90 + 1 second")
        clock.move_to(token.expires_at + timedelta(seconds=1))
        expired = _api(key).get(CLIENTS)
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]
        battery.held("401 'Token expired on …: create a new one on the API token page.'")

    with time_machine.travel(NOW, tick=False):
        battery.tried("a read-only token used to create a client")
        _, read_key = token_create(user=user, scope=TokenScope.READ)
        assert _api(read_key).get(CLIENTS).status_code == 200
        write = _api(read_key).post(CLIENTS, {"reference": "X-1", "display_name": "X"},
                                    format="json")
        assert write.status_code == 403 and "read-only" in write.json()["detail"]
        battery.held("GET 200, POST 403 'This API token is read-only…'")

        battery.tried("the owner revokes the token on the API token page")
        browser = APIClient()
        browser.force_login(user)
        browser.post("/api/token/", {"action": "revoke", "token": str(token.pk)})
        browser.post("/api/token/", {"action": "revoke",
                                     "token": str(ApiToken.objects.get(scope="read").pk)})
        assert not ApiToken.objects.exists()
        assert _api(read_key).get(CLIENTS).status_code == 401
        battery.held("deleted; the next request with it: 401")


def test_a_plain_text_token_from_before_keeps_working_once_hashed(battery):
    user = UserFactory(username="old-sync")
    legacy = secrets.token_hex(20)  # DRF authtoken's format: 40 hex characters
    with connection.cursor() as cursor:
        created = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
        cursor.execute('CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
                       f"created {created} NOT NULL, user_id integer NOT NULL)")
        cursor.execute('INSERT INTO authtoken_token ("key", created, user_id) VALUES '
                       "(%s, %s, %s)", [legacy, NOW, user.pk])
    battery.tried("a token stored in plain text by DRF's authtoken, then the migration")
    migration = importlib.import_module("api.migrations.0003_hash_legacy_tokens")
    with time_machine.travel(NOW, tick=False):
        migration.hash_legacy_tokens(django_apps, SimpleNamespace(connection=connection))
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
            cursor.execute("DROP TABLE authtoken_token")
        token = ApiToken.objects.get(user=user)
        assert token.digest == digest_of(legacy) and token.prefix == legacy[:8]
        assert _api(legacy).get(CLIENTS).status_code == 200
    battery.held("the plain-text row is gone, its hash is stored, and the same token still "
                 "authenticates (expiring 90 days after the migration)")


# --- 10. Cache-Control ------------------------------------------------------------------------

def _directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_signed_in_pages_are_private_and_not_stored(client, issue_link, battery):
    battery.tried("the dashboard, an API call with a session and a token, and the pay-now page")
    client.force_login(UserFactory(username="berta"))
    assert _directives(client.get("/desk/")) >= {"private", "no-store"}
    assert _directives(client.get(CLIENTS)) >= {"private", "no-store"}
    _, key = token_create(user=UserFactory(username="sync"))
    assert _directives(_api(key).get(CLIENTS)) >= {"private", "no-store"}
    battery.held("Cache-Control: private, no-store on each")

    anonymous = RequestFactory().get("/healthz")
    anonymous.user = SimpleNamespace(is_authenticated=False)
    plain = PrivateCacheMiddleware(lambda request: HttpResponse("ok"))(anonymous)
    assert not plain.has_header("Cache-Control")
    page = client.__class__().get(f"/p/{issue_link}/")
    assert page.status_code == 200 and _directives(page) == {"no-store", "private"}
    battery.held("an anonymous response without a session gets none from the middleware; the "
                 "pay-now page (no login, but one client's invoices) keeps its own "
                 "'no-store, private'")


@pytest.fixture
def issue_link(make_invoice: Any) -> str:
    from answers.links import link_issue

    customer = ClientFactory()
    make_invoice(customer, "100.00")
    return link_issue(client=customer).token


# --- 11. the Django admin ---------------------------------------------------------------------

def test_the_django_admin_is_for_superusers_only(client, battery):
    bookkeeper = UserFactory(username="bea", is_staff=True)
    bookkeeper.user_permissions.set(Permission.objects.filter(
        content_type__app_label__in=["clients", "receivables"]))
    client.force_login(bookkeeper)
    battery.tried("a bookkeeper with staff status and every clients/receivables permission "
                  "opens the admin, sets the sender of every reminder and adds payment terms")
    for path in ("/admin/", "/admin/clients/businessprofile/", "/admin/receivables/"
                 "paymentterms/add/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path
    client.post("/admin/clients/businessprofile/add/",
                {"from_email": "billing@attacker.example", "payment_sync_max_hours": "0"})
    client.post("/admin/receivables/paymentterms/add/", {"name": "Loan shark",
                                                         "net_days": "30"})
    assert not BusinessProfile.objects.filter(from_email__contains="attacker").exists()
    assert not PaymentTerms.objects.filter(name="Loan shark").exists()
    battery.held("every admin URL redirects to the admin login; nothing written")

    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    superuser.is_active = False
    superuser.save()
    assert client.get("/admin/").status_code == 302
    battery.held("an active superuser gets the admin (200); an inactive one does not")


def test_the_migration_takes_admin_rights_from_everyone_but_superusers(battery):
    admin_group, bookkeeper_group = (Group.objects.get_or_create(name=name)[0]
                                     for name in ("Admin", "Bookkeeper"))
    perms = Permission.objects.filter(content_type__app_label__in=["clients", "receivables"])
    admin_group.permissions.set(perms)
    bookkeeper_group.permissions.set(perms)
    staff = UserFactory(username="bea", is_staff=True)
    staff.user_permissions.set(perms)
    root = UserFactory(username="root", is_staff=True, is_superuser=True, role="Admin")
    battery.tried("the data migration on groups with admin permissions and a staff bookkeeper")
    migration = importlib.import_module("api.migrations.0004_admin_for_superusers_only")
    migration.admin_for_superusers_only(django_apps, None)
    staff.refresh_from_db()
    root.refresh_from_db()
    assert not admin_group.permissions.exists() and not bookkeeper_group.permissions.exists()
    assert not staff.is_staff and not staff.user_permissions.exists()
    assert root.is_staff and root.is_superuser
    assert set(staff.groups.values_list("name", flat=True)) == {"Bookkeeper"}
    battery.held("groups without model permissions, the bookkeeper without staff status (still "
                 "a Bookkeeper for Settle's pages), the superuser unchanged")


# --- 12. the e-mail tracking webhook without a secret -----------------------------------------

def test_a_forged_bounce_is_refused_while_no_webhook_secret_is_set(client, settings, postmark,
                                                                  make_invoice, battery):
    postmark.post("https://api.postmarkapp.com/email", json={
        "MessageID": "pm-1", "ErrorCode": 0, "Message": "OK", "To": "ap@example.com"})
    customer = ClientFactory(channel_preferences=["email", "sms", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    with time_machine.travel(NOW, tick=False):
        reminders_tick(now=NOW)
    email = OutboundMessage.objects.get(channel="email")
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": 42,
              "MessageID": email.provider_message_id, "Email": email.to,
              "BouncedAt": "2026-03-17T09:40:00Z", "Description": "forged",
              "Metadata": {"settle_message_id": str(email.pk)}}
    assert not settings.ANYMAIL.get("WEBHOOK_SECRET")
    battery.tried("a forged Postmark hard bounce for a real message, ESP configured but no "
                  "ANYMAIL_WEBHOOK_SECRET, without and with made-up credentials")
    for auth in (None, "anyone:anything"):
        headers = {} if auth is None else {
            "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()}
        response = client.post("/anymail/postmark/tracking/", json.dumps(bounce),
                               content_type="application/json", **headers)
        assert response.status_code == 403
        assert "ANYMAIL_WEBHOOK_SECRET" in response.content.decode()
    assert not MessageEvent.objects.exists() and not ContactFlag.objects.exists()
    email.refresh_from_db()
    assert email.status != "bounced"
    battery.held("403 'E-mail webhooks are off until ANYMAIL_WEBHOOK_SECRET is set.'; no "
                 "event, no flag, the message unchanged")

    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    genuine = client.post("/anymail/postmark/tracking/", json.dumps(bounce),
                          content_type="application/json", HTTP_AUTHORIZATION="Basic "
                          + base64.b64encode(b"hook:s3cret").decode())
    assert genuine.status_code == 200 and MessageEvent.objects.count() == 1
    battery.held("with the secret set, the ESP's authenticated event is accepted")


def test_settings_name_the_production_defaults():
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "ip_address"]
    assert "api.tokens.HashedTokenAuthentication" in django_settings.REST_FRAMEWORK[
        "DEFAULT_AUTHENTICATION_CLASSES"]
    assert "rest_framework.authtoken" not in django_settings.INSTALLED_APPS
