"""Shared by the tests of the reminder pages (test_pages_*): the client's numbers, a call
task as the cadence creates it, posting a call, and reading pages and PDFs. The signed-in
bookkeeper is the ``me`` fixture (conftest.py)."""

import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from django.urls import reverse

from clients.models import Client
from receivables.models import Invoice
from reminders.channels.phone import hand_to_caller
from tests.reminders.support import NOW, step
from work.models import Task

LANDLINE = "+493012345678"
MOBILE = "+4915123456789"  # ClientFactory's mobile_phone


def call_task(customer: Client, *invoices: Invoice, at: datetime = NOW) -> Task:
    """A call task as the cadence's +7 step creates it (script from the step's template)."""
    return hand_to_caller(client=customer, invoices=invoices, step=step(7), now=at)


def record(client: Any, task: Task, **data: str) -> Any:
    return client.post(reverse("reminders:task", args=[task.pk]), data)


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_with(html: str, text: str) -> str:
    """The table row (``<tr>…</tr>``) that contains ``text``."""
    [row] = [r for r in re.findall(r"<tr.*?</tr>", html, re.S) if text in r]
    return row


def fresh(customer: Client) -> Client:
    return Client.objects.get(pk=customer.pk)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
