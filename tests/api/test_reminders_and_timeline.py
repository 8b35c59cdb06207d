"""The reminder forecast, and the clients' timelines (read only)."""

from datetime import timedelta

import pytest

from clients.services import interaction_record
from tests.factories import ClientFactory
from tests.reminders.support import TUESDAY

pytestmark = pytest.mark.django_db

FORECAST = "/api/v1/reminders/forecast/"
TIMELINE = "/api/v1/interactions/"


def test_forecast_lists_what_the_engine_will_send(api, acme, overdue):
    invoice = overdue(acme, 5)
    other = ClientFactory(reference="OTHER")
    overdue(other, 5)
    response = api.get(FORECAST, {"days": 10})
    assert response.status_code == 200, response.json()
    entries = response.json()["results"]
    assert {e["client_reference"] for e in entries} == {"ACME", "OTHER"}
    mine = api.get(FORECAST, {"days": 10, "client": "ACME"}).json()
    assert mine["count"] >= 1
    assert all(e["client_reference"] == "ACME" and e["invoices"] == [invoice.number]
               for e in mine["results"])
    first = mine["results"][0]
    assert first["send_at"].startswith(("2026-03-1", "2026-03-2"))
    assert first["send_at"].endswith("+01:00")  # the client's time zone (Berlin)


def test_a_paused_client_has_nothing_in_the_forecast(api, acme, overdue):
    overdue(acme, 5)
    api.post(f"/api/v1/clients/{acme.pk}/pause/",
             {"until": (TUESDAY + timedelta(days=30)).isoformat()}, format="json")
    assert api.get(FORECAST, {"days": 10, "client": "ACME"}).json()["count"] == 0


def test_forecast_parameters_are_checked(api, db):
    response = api.get(FORECAST, {"days": 400, "client": "NOPE"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "days": ["Ensure this value is less than or equal to 60."],
        "client": ["No client with reference 'NOPE': create it first (POST /api/v1/clients/)."]}


def test_timeline_per_client_newest_first_and_paginated(api, acme):
    other = ClientFactory(reference="OTHER")
    for n in range(5):
        interaction_record(client=acme, kind="note", summary=f"Note {n}")
    interaction_record(client=other, kind="note", summary="Elsewhere")
    page = api.get(TIMELINE, {"client": "ACME", "page_size": 2}).json()
    assert page["count"] == 5
    assert [e["summary"] for e in page["results"]] == ["Note 4", "Note 3"]
    entry = page["results"][0]
    assert api.get(f"{TIMELINE}{entry['id']}/").json() == entry
    assert api.get(TIMELINE, {"client": "OTHER"}).json()["count"] == 1


def test_the_timeline_cannot_be_written(api, acme):
    entry = interaction_record(client=acme, kind="note", summary="Kept")
    assert api.post(TIMELINE, {"client": "ACME", "kind": "note", "summary": "x"},
                    format="json").status_code == 405
    assert api.delete(f"{TIMELINE}{entry.pk}/").status_code == 405
    assert api.patch(f"{TIMELINE}{entry.pk}/", {"summary": "x"},
                     format="json").status_code == 405
