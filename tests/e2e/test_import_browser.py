"""A bookkeeper imports clients in a real browser: the dry run lists every row error and writes
nothing, the fixed file is checked clean, the import runs as a job whose progress bar the page
polls (htmx) until it is done."""

import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from clients.models import Client
from tests.factories import UserFactory
from transfer import services
from transfer.models import ImportJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BROKEN = ("Customer ID;Company;Email;Country;Lang\r\n"
          "C-1;Acme GmbH;ap@acme.example;DE;de\r\n"
          "C-2;;billing@beta.example;DE;de\r\n"        # no name
          "C-3;Gamma SARL;not-an-email;FR;fr\r\n"       # bad email
          "C-4;Delta Ltd;ap@delta.example;XX;en\r\n")   # unknown country
FIXED = ("Customer ID;Company;Email;Country;Lang\r\n"
         "C-1;Acme GmbH;ap@acme.example;DE;de\r\n"
         "C-2;Beta AG;billing@beta.example;DE;de\r\n"
         "C-3;Gamma SARL;ap@gamma.example;FR;fr\r\n"
         "C-4;Delta Ltd;ap@delta.example;GB;en\r\n")


def _upload(page, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.goto("/transfer/")
    page.set_input_files("input[type=file][name=file]", str(path))
    page.select_option("select[name=kind]", "clients")
    page.click("form.import-form button[type=submit]")


def test_errors_first_then_a_clean_import_with_a_progress_bar(page, tmp_path):
    UserFactory(username="berta")
    page.goto("/login/")
    page.fill("#id_username", "berta")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")

    _upload(page, tmp_path, "clients.csv", BROKEN)
    rows = page.locator("table.row-errors tbody tr")
    assert rows.count() == 3
    lines = [rows.nth(i).locator("td").first.inner_text() for i in range(3)]
    assert lines == ["3", "4", "5"]  # file lines, the header being line 1
    assert "Nothing has been written" in page.inner_text(".summary")
    assert page.locator("button.primary", has_text="Import").count() == 0
    assert Client.objects.count() == 0

    _upload(page, tmp_path, "clients-fixed.csv", FIXED)
    assert page.locator("table.row-errors").count() == 0
    page.click("button.primary:has-text('Import 4 rows')")
    assert page.locator("progress").count() == 1  # queued: the page polls for progress
    job = ImportJob.objects.get(original_name="clients-fixed.csv")

    # The worker: runs the job a moment later while the browser keeps polling.
    worker = threading.Thread(target=lambda: (time.sleep(1.0),
                                              services.import_job_run(job_id=job.pk)))
    worker.start()
    # When the job is done, the poll reloads the page with the result.
    page.get_by_text("4 rows imported").wait_for(timeout=15_000)
    worker.join()
    assert "4 created" in page.inner_text(".summary")
    assert page.locator("progress").count() == 0
    assert sorted(Client.objects.values_list("reference", flat=True)) == [
        "C-1", "C-2", "C-3", "C-4"]

    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "import-done.png"), full_page=True)
