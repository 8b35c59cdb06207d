"""The OpenAPI schema generates without warnings, is served, and the reference page shows it."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/clients/", "/api/v1/clients/{id}/pause/", "/api/v1/invoices/",
         "/api/v1/payments/", "/api/v1/payments/sync/", "/api/v1/reminders/forecast/",
         "/api/v1/interactions/"]


def test_the_schema_generates_valid_and_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target),
                 stderr=StringIO())
    schema = yaml.safe_load(target.read_text())
    assert set(PATHS) <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"
    amount = schema["components"]["schemas"]["PaymentCreateRequest"]["properties"]["amount"]
    assert amount["type"] == "string" and amount["format"] == "decimal"
    params = {p["name"] for p in schema["paths"]["/api/v1/payments/"]["post"]["parameters"]}
    assert "Idempotency-Key" in params


def test_the_schema_is_served_to_bookkeepers(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert set(PATHS) <= set(yaml.safe_load(response.content)["paths"])
    as_json = api.get("/api/schema/", {"format": "json"})
    assert as_json.status_code == 200 and "/api/v1/payments/" in as_json.json()["paths"]
    assert APIClient().get("/api/schema/").status_code == 401


def test_the_reference_page_lists_every_operation_without_inline_code(client):
    client.force_login(UserFactory(username="bea"))
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    for path in PATHS:
        assert path in html
    assert "Idempotency-Key" in html and "PaymentCreateRequest" in html
    assert "<style" not in html and " style=" not in html
    assert all("src=" in tag for tag in html.split("<script")[1:])
