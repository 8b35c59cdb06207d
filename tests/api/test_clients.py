"""Clients over the API: create (reference is the natural key), list, read, pause, resume."""

import pytest

from clients.models import Client, Interaction
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/clients/"


def test_create_a_client_with_the_sites_defaults(api):
    response = api.post(URL, {"reference": " K-1001 ", "display_name": "Bäckerei Schmidt",
                              "email": "ap@schmidt.example", "tags": ["High-Value"],
                              "pay_run_days": [15, "last-business"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "K-1001"
    assert body["timezone"] == "Europe/Berlin" and body["default_currency"] == "EUR"
    assert body["tags"] == ["high-value"]
    assert body["pay_run_days"] == [15, "last-business"]
    client = Client.objects.get(reference="K-1001")
    assert client.display_name == "Bäckerei Schmidt"
    assert api.get(f"{URL}{client.pk}/").json() == body


def test_a_taken_reference_is_a_conflict_and_changes_nothing(api, acme):
    response = api.post(URL, {"reference": "ACME", "display_name": "Another Acme"},
                        format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == {"reference": [
        f"A client with reference 'ACME' already exists (id {acme.pk})."]}
    assert Client.objects.get(reference="ACME").display_name == "Acme GmbH"


def test_invalid_fields_come_back_with_the_models_messages(api):
    response = api.post(URL, {"reference": "K-2", "display_name": "X", "timezone": "Mars/Base",
                              "channel_preferences": ["email", "pigeon"],
                              "default_currency": "XXY"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"timezone", "channel_preferences", "default_currency"}
    assert "pigeon" in errors["channel_preferences"][0]
    assert "ISO 4217" in errors["default_currency"][0]
    assert not Client.objects.filter(reference="K-2").exists()


def test_required_fields_and_unknown_terms_are_named(api):
    response = api.post(URL, {"default_terms": "Net 999"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["reference"] == ["This field is required."]
    assert errors["display_name"] == ["This field is required."]
    assert "No payment terms named 'Net 999'" in errors["default_terms"][0]


def test_a_body_that_is_not_json_is_refused_clearly(api):
    response = api.post(URL, "reference=K-3", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_list_filters_by_reference_and_searches(api, acme):
    ClientFactory(reference="B-1", display_name="Bäckerei Schmidt", email="ap@schmidt.example")
    assert [c["reference"] for c in api.get(URL, {"reference": "ACME"}).json()["results"]] \
        == ["ACME"]
    assert [c["reference"] for c in api.get(URL, {"search": "schmidt"}).json()["results"]] \
        == ["B-1"]
    assert api.get(URL, {"search": "nobody"}).json()["count"] == 0


def test_lists_are_paginated_with_a_ceiling(api):
    ClientFactory.create_batch(7)
    first = api.get(URL, {"page_size": 3}).json()
    assert first["count"] == 7 and len(first["results"]) == 3
    assert "page=2" in first["next"] and first["previous"] is None
    last = api.get(URL, {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = {c["reference"] for page in (1, 2, 3)
            for c in api.get(URL, {"page_size": 3, "page": page}).json()["results"]}
    assert len(seen) == 7
    assert len(api.get(URL, {"page_size": 5000}).json()["results"]) == 7  # capped at 200
    assert api.get(URL, {"page": 99}).status_code == 404


def test_pause_and_resume_a_clients_reminders(api, acme):
    response = api.post(f"{URL}{acme.pk}/pause/", {"until": "2026-04-30",
                                                   "reason": "Owner on holiday"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["reminders_paused_until"] == "2026-04-30"
    latest = Interaction.objects.filter(client=acme).first()
    assert latest.summary == "Reminders paused until 2026-04-30: Owner on holiday"
    assert latest.actor.username == "ledger-sync"

    response = api.post(f"{URL}{acme.pk}/resume/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["reminders_paused_until"] is None
    assert Interaction.objects.filter(client=acme).first().summary == "Reminders resumed"


def test_pause_needs_a_day_that_is_not_past(api, acme):
    missing = api.post(f"{URL}{acme.pk}/pause/", {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"until": ["This field is required."]}
    past = api.post(f"{URL}{acme.pk}/pause/", {"until": "2026-03-01"}, format="json")
    assert past.status_code == 400
    assert past.json()["errors"] == {"until": ["Choose today or a later day."]}
    acme.refresh_from_db()
    assert acme.reminders_paused_until is None
    assert api.post(f"{URL}999999/pause/", {"until": "2026-04-01"},
                    format="json").status_code == 404


def test_clients_cannot_be_deleted_or_replaced(api, acme):
    assert api.delete(f"{URL}{acme.pk}/").status_code == 405
    assert api.put(f"{URL}{acme.pk}/", {}, format="json").status_code == 405
