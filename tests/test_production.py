"""Production settings: `check --deploy` is clean, logs are JSON with the request id, and every
response carries that id (X-Request-ID) so a bookkeeper's "it failed" can be found in the logs."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]


def _production(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # (The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process; a deployment never.)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production",
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="settle.example",
               SITE_URL="https://settle.example", SETTLE_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               # A shared cache, as production needs (`check --deploy` refuses a per-process
               # one); the check does not connect to it.
               CACHE_URL="redis://127.0.0.1:6379/1")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _production(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_refuses_a_missing_or_short_secret_key(tmp_path):
    env_key = "SECRET_KEY"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items() if k != env_key},
             "DJANGO_SETTINGS_MODULE": "config.settings.production", env_key: "short",
             "SETTLE_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "at least 40 characters" in result.stderr


def test_production_logs_are_json_lines(tmp_path):
    result = _production(tmp_path, "shell", "-c",
                         "import logging; logging.getLogger('settle.demo').warning('hello %s', 7)")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    line = next(x for x in lines if x.get("logger") == "settle.demo")
    assert line["message"] == "hello 7" and line["level"] == "WARNING"
    assert "time" in line and "request_id" in line


@pytest.fixture
def json_log() -> io.StringIO:
    """The production handler (JSON formatter + request-id filter) writing to a buffer."""
    stream = io.StringIO()
    formatters = settings.LOGGING["formatters"]
    config = {
        "version": 1, "disable_existing_loggers": False,
        "filters": settings.LOGGING["filters"],
        "formatters": {"json": formatters["json"]},
        "handlers": {"buffer": {"class": "logging.StreamHandler", "stream": stream,
                                "formatter": "json", "filters": ["request_id"]}},
        "loggers": {"django.request": {"handlers": ["buffer"], "level": "WARNING",
                                       "propagate": False}},
    }
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_request_logs_under_its_id_and_echoes_it(client, json_log):
    given = uuid.uuid4().hex
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 404
    assert response["X-Request-ID"] == given
    record = json.loads(json_log.getvalue().splitlines()[-1])
    assert record["request_id"] == given and "Not Found" in record["message"]


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_fresh_one_and_a_forged_one_is_replaced(client):
    first = client.get("/login/")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]
    assert len(first) == 32 and first != second
    forged = client.get("/login/", HTTP_X_REQUEST_ID="x\" injected")["X-Request-ID"]
    assert forged != "x\" injected" and len(forged) == 32


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert response["Referrer-Policy"] == "same-origin"


# --- the ESP check (config/checks.py: check_esp) ---------------------------------------------

def _esp_problems(esp: str, anymail: dict[str, str] | None = None) -> list[Any]:
    from config.checks import check_esp
    with override_settings(ESP=esp, ANYMAIL={"WEBHOOK_SECRET": "u:p", **(anymail or {})}):
        return check_esp()


def _readme_esps() -> list[str]:
    """The names in the README's ESP table (the first column of the rows after "### ESPs")."""
    section = (ROOT / "README.md").read_text().split("### ESPs", 1)[1].split("\n## ", 1)[0]
    return [line.split("|")[1].strip().strip("`") for line in section.splitlines()
            if line.startswith("| `")]


def test_every_esp_the_readme_lists_is_accepted_when_configured():
    from config.checks import ESPS
    names = _readme_esps()
    assert sorted(names) == sorted(ESPS) and len(names) >= 10
    for name in names:
        needs = {key: "x" for key in ESPS[name].settings + ESPS[name].webhook}
        assert _esp_problems(name, needs) == [], name


def test_a_misspelt_esp_is_refused_with_the_likely_name():
    [problem] = _esp_problems("postmak")
    assert problem.id == "settle.E003" and problem.level >= checks.ERROR
    assert "ESP=postmark" in problem.hint


def test_missing_credentials_name_the_variable_to_set():
    [problem] = _esp_problems("postmark")
    assert problem.id == "settle.E004" and "ANYMAIL_POSTMARK_SERVER_TOKEN" in problem.hint
    ids = {p.id: p for p in _esp_problems("postal", {"POSTAL_API_KEY": "k"})}
    assert set(ids) == {"settle.E004", "settle.E005"}
    assert "ANYMAIL_POSTAL_API_URL" in ids["settle.E004"].hint
    assert "ANYMAIL_POSTAL_WEBHOOK_KEY" in ids["settle.E005"].hint
    # anymail's other places for a setting count too (ANYMAIL_<NAME> as a Django setting)
    with override_settings(ANYMAIL_POSTMARK_SERVER_TOKEN="t"):
        assert _esp_problems("postmark") == []


@pytest.mark.parametrize(("esp", "package", "extra"), [
    ("amazon_ses", "boto3", "ses"), ("postal", "cryptography", "postal"),
    ("resend", "svix", "resend")])
def test_a_missing_extra_names_the_pip_install(monkeypatch, esp, package, extra):
    from config import checks as settle_checks
    monkeypatch.setattr(settle_checks, "importable", lambda module: module != package)
    needs = {key: "x" for key in settle_checks.ESPS[esp].settings + settle_checks.ESPS[esp].webhook}
    [problem] = _esp_problems(esp, needs)
    assert problem.id == "settle.E006" and package in problem.msg
    assert f'pip install "settle[{extra}]"' in problem.hint


def test_the_extras_are_installed():
    from config.checks import ESPS, importable
    assert all(importable(module) for esp in ESPS.values() for module in esp.packages)


def test_manage_py_check_fails_on_a_misspelt_esp(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items()
                if not k.startswith(("PYTEST", "DATABASE_URL", "ANYMAIL_"))},
             "DJANGO_SETTINGS_MODULE": "config.settings.dev", "ESP": "postmak",
             "SETTLE_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "settle.E003" in result.stderr and "ESP=postmark" in result.stderr
