"""The page: upload → dry run report → import job → progress → result; roles."""

from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from receivables.models import Payment, PaymentSync
from tests.factories import ClientFactory, UserFactory
from tests.transfer.conftest import csv_bytes
from transfer import services
from transfer.models import ImportJob, JobStatus
from transfer.progress import ProgressReporter, progress_file, rows_done

pytestmark = pytest.mark.django_db

HEAD = ["Customer ID", "Name", "Email"]


@pytest.fixture
def eager_celery() -> Any:
    """Tasks run in-process when sent (the real task code, no broker)."""
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


def upload(client: Any, rows: list[list[str]], **data: str) -> Any:
    file = SimpleUploadedFile("clients.csv", csv_bytes(rows), content_type="text/csv")
    return client.post(reverse("transfer:index"),
                       {"file": file, "date_format": "YYYY-MM-DD", "decimal": "point", **data})


def test_errors_are_shown_all_and_nothing_is_written_then_the_fixed_file_imports(
        client, bookkeeper, eager_celery, django_capture_on_commit_callbacks):
    client.force_login(bookkeeper)
    response = upload(client, [HEAD, ["C-1", "Acme", "bad-email"], ["", "Beta", ""],
                               ["C-3", "Gamma", "g@example.com"]])
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.REJECTED
    page = client.get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert "2 errors" in page and "bad-email" in page and "Customer ID" in page
    assert "Import 3 rows" not in page
    assert not Client.objects.exists()
    # Importing a rejected job is refused.
    client.post(reverse("transfer:job-start", args=[job.pk]))
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.REJECTED

    upload(client, [HEAD, ["C-1", "Acme", "ap@acme.example"], ["C-2", "Beta", ""],
                    ["C-3", "Gamma", "g@example.com"]])
    job = ImportJob.objects.latest("pk")
    assert job.status == JobStatus.CHECKED and job.created == 3 and not Client.objects.exists()
    page = client.get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert "3</strong> to create" in page and "Import 3 rows" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("transfer:job-start", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.created) == (JobStatus.DONE, 3, 3)
    assert Client.objects.count() == 3
    fragment = client.get(reverse("transfer:job-progress", args=[job.pk]),
                          HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true" and 'hx-trigger' not in fragment.content.decode()
    # A second click imports nothing twice.
    client.post(reverse("transfer:job-start", args=[job.pk]))
    assert Client.objects.count() == 3


def test_a_file_that_cannot_be_read_is_one_error_on_the_form(client, bookkeeper):
    client.force_login(bookkeeper)
    response = upload(client, [["Foo", "Bar"], ["1", "2"]])
    assert response.status_code == 400
    assert "do not look like clients, invoices or payments" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_progress_fragment_polls_while_queued_and_wakes_a_lost_job(client, bookkeeper,
                                                                  eager_celery):
    client.force_login(bookkeeper)
    upload(client, [HEAD, ["C-1", "Acme", ""]])
    job = services.import_job_queue(job=ImportJob.objects.get())  # its message was lost
    html = client.get(reverse("transfer:job-progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress value=\"0\" max=\"1\"" in html
    assert ImportJob.objects.get().status == JobStatus.QUEUED  # young: left alone
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=1))
    client.get(reverse("transfer:job-progress", args=[job.pk]))
    assert ImportJob.objects.get().status == JobStatus.DONE
    assert Client.objects.filter(reference="C-1").exists()


def test_payments_job_records_the_sync(client, bookkeeper, at_now, make_invoice,
                                       eager_celery, django_capture_on_commit_callbacks):
    acme = ClientFactory(reference="C-1")
    make_invoice(acme, "100.00", number="INV-1")
    client.force_login(bookkeeper)
    file = SimpleUploadedFile("bank.csv", csv_bytes([
        ["Account", "Value date", "Amount", "Bank reference", "Invoice"],
        ["C-1", "2026-03-16", "100.00", "TX-1", "INV-1"]]))
    client.post(reverse("transfer:index"), {"file": file, "kind": "payments",
                                            "date_format": "YYYY-MM-DD", "decimal": "point"})
    job = ImportJob.objects.get()
    assert job.kind == "payments" and not PaymentSync.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("transfer:job-start", args=[job.pk]))
    assert Payment.objects.get().allocations.get().invoice.number == "INV-1"
    assert PaymentSync.objects.get(source="import").payments == 1


def test_running_job_lost_by_its_worker_is_queued_again(bookkeeper):
    job = services.import_job_check(content=csv_bytes([HEAD, ["C-1", "Acme", ""]]),
                                    filename="c.csv", kind=None,
                                    options=services.Options(), actor=bookkeeper)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1))
    assert services.import_jobs_lost() == [job.pk]
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
    assert services.import_job_run(job_id=job.pk).status == JobStatus.DONE
    assert services.import_job_run(job_id=job.pk) is None  # a second message does nothing


def test_sqlite_progress_is_read_from_the_side_file(bookkeeper, settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the side file is SQLite's channel")
    job = services.import_job_check(content=csv_bytes([HEAD, ["C-1", "A", ""], ["C-2", "B", ""]]),
                                    filename="c.csv", kind=None,
                                    options=services.Options(), actor=bookkeeper)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    job.refresh_from_db()
    reporter = ProgressReporter(job, every=0)
    reporter(1)
    assert rows_done(job) == 1 and job.rows_done == 0
    reporter.close()
    assert not progress_file(job.pk).exists()


@pytest.mark.parametrize("name", ["transfer:index", "transfer:export-invoices"])
def test_roles(client, name):
    url = reverse(name)
    client.force_login(UserFactory(role="", username="norole"))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(username="bk"))
    assert client.get(url).status_code == 200


def test_templates_download_with_every_column(client, bookkeeper):
    client.force_login(bookkeeper)
    body = b"".join(client.get(reverse("transfer:template", args=["invoices"]))
                    .streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Invoice number,Client reference,Issue date")
    assert client.get(reverse("transfer:template", args=["nonsense"])).status_code == 404


def test_page_has_no_inline_script_or_style(client, bookkeeper):
    client.force_login(bookkeeper)
    upload(client, [HEAD, ["C-1", "Acme", ""]])
    job = ImportJob.objects.get()
    services.import_job_queue(job=job)
    for url in (reverse("transfer:index"), reverse("transfer:job", args=[job.pk])):
        html = client.get(url).content.decode()
        assert "style=" not in html and "<style" not in html and " onclick" not in html
        assert "<script>" not in html.replace('<script src', '')
    assert "transfer.css" in html and "<progress" in html


@pytest.mark.django_db(transaction=True)
def test_postgres_progress_is_visible_while_the_import_transaction_is_open(bookkeeper):
    """Another connection (the web) sees rows_done move before the import commits."""
    from django.db import DEFAULT_DB_ALIAS, connections, transaction

    main = connections[DEFAULT_DB_ALIAS]
    if main.vendor != "postgresql":
        pytest.skip("PostgreSQL writes progress through a second connection")
    job = services.import_job_check(content=csv_bytes([HEAD, ["C-1", "A", ""], ["C-2", "B", ""]]),
                                    filename="c.csv", kind=None,
                                    options=services.Options(), actor=bookkeeper)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    job.refresh_from_db()
    web = type(main)({**main.settings_dict}, alias="web")
    reporter = ProgressReporter(job, every=0)
    try:
        with transaction.atomic():
            Client.objects.create(reference="X", display_name="Inside the import")
            reporter(1)
            with web.cursor() as cursor:
                cursor.execute("SELECT rows_done FROM transfer_importjob WHERE id = %s",
                               [job.pk])
                assert cursor.fetchone() == (1,)
                cursor.execute("SELECT count(*) FROM clients_client WHERE reference = 'X'")
                assert cursor.fetchone() == (0,)  # the import itself is not visible yet
            transaction.set_rollback(True)
    finally:
        reporter.close()
        web.close()
