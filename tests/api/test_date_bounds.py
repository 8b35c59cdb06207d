"""The API refuses out-of-range dates with a 400 and a field error (issue 15, item 6)."""

from __future__ import annotations

from typing import Any

import pytest

from receivables.models import Invoice

pytestmark = pytest.mark.django_db


def test_the_api_answers_400_for_a_far_future_due_date(api: Any, acme: Any) -> None:
    body = {"client": "ACME", "number": "RE-9999", "issue_date": "2026-03-01",
            "due_date": "9999-12-01", "currency": "EUR",
            "lines": [{"description": "Consulting", "unit_price": "100.00"}]}
    response = api.post("/api/v1/invoices/", body, format="json")
    assert response.status_code == 400, response.content
    assert "2000-01-01" in str(response.json())
    assert not Invoice.objects.filter(number="RE-9999").exists()
    body.pop("due_date")
    body["issue_date"] = "9999-12-31"  # the due date from the terms would leave the calendar
    response = api.post("/api/v1/invoices/", body, format="json")
    assert response.status_code == 400, response.content
    assert not Invoice.objects.filter(number="RE-9999").exists()
