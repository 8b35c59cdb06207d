"""How far a running import is, visible to the web while the import's transaction is open.

The import is one transaction (all or nothing), so progress cannot be written through the
connection doing the import: nobody would see it before the end. Instead:

* **PostgreSQL**: a second, autocommitting connection updates the job's ``rows_done`` and
  ``heartbeat_at``. The import's transaction never touches the job row, so the two never wait
  for each other, and the job row stays the one place the web reads.
* **SQLite** allows one writer at a time, and the import holds the write lock until it commits:
  a second connection would wait for it (and time out). SQLite means one machine, so progress
  goes to a small file under ``MEDIA_ROOT/imports/progress/`` (replaced atomically), which the
  web reads while the job is running; its modification time is the heartbeat.
  Processing in committed chunks would show progress too, but would break "all or nothing".
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from transfer.models import ImportJob, JobStatus

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

REPORT_EVERY_SECONDS = 0.5


def progress_file(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / str(job_id)


def _side_channel_is_database() -> bool:
    return connection.vendor == "postgresql"


class ProgressReporter:
    """Called with the number of rows done; writes at most every half second (and the last)."""

    def __init__(self, job: ImportJob, every: float = REPORT_EVERY_SECONDS) -> None:
        self.job_id, self.total, self.every = job.pk, job.rows_total, every
        self._last = 0.0
        self._side: BaseDatabaseWrapper | None = None

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self._last < self.every:
            return
        self._last = now
        if _side_channel_is_database():
            self._write_row(min(done, self.total))
        else:
            self._write_file(min(done, self.total))

    def _write_row(self, done: int) -> None:
        if self._side is None:
            # A fresh connection with the same settings, in autocommit mode.
            main = connections[DEFAULT_DB_ALIAS]
            self._side = type(main)({**main.settings_dict}, alias="transfer-progress")
        with self._side.cursor() as cursor:
            cursor.execute("UPDATE transfer_importjob SET rows_done = %s, heartbeat_at = %s "
                           "WHERE id = %s AND status = %s",
                           [done, timezone.now(), self.job_id, JobStatus.RUNNING.value])

    def _write_file(self, done: int) -> None:
        path = progress_file(self.job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(str(done))
        os.replace(partial, path)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        progress_file(self.job_id).unlink(missing_ok=True)


def rows_done(job: ImportJob) -> int:
    """What the web shows: the row, or for a running import on SQLite the progress file."""
    if job.status != JobStatus.RUNNING or _side_channel_is_database():
        return job.rows_done
    try:
        return max(job.rows_done, min(int(progress_file(job.pk).read_text()), job.rows_total))
    except (OSError, ValueError):
        return job.rows_done


def last_sign_of_life(job: ImportJob) -> datetime | None:
    """When the worker running ``job`` last reported (the heartbeat column, or the file)."""
    seen = [t for t in (job.heartbeat_at, job.started_at) if t is not None]
    try:
        mtime = progress_file(job.pk).stat().st_mtime
    except OSError:
        pass
    else:
        seen.append(datetime.fromtimestamp(mtime, tz=timezone.get_current_timezone()))
    return max(seen) if seen else None
