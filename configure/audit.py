"""Who changed the configuration, and when: Django's admin ``LogEntry`` rows.

The configuration pages write the same audit trail as the Django admin, so both kinds of edits
read as one history (here and in the admin's "Recent actions"). It is independent of the
clients' timeline, which is about clients, not settings.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models

__all__ = ["ADDITION", "CHANGE", "DELETION", "audit_record", "recent_entries"]


def audit_record(*, actor: Any, obj: models.Model, action: int, message: str) -> None:
    """One log row for ``obj`` (call before deleting it: the row keeps its id and name).

    ``log_actions(single_object=True)`` is ``log_action`` without its Django 5.1 deprecation.
    """
    LogEntry.objects.log_actions(actor.pk, [obj], action, message[:2000], single_object=True)


def recent_entries(limit: int = 20) -> list[LogEntry]:
    return list(LogEntry.objects.select_related("user", "content_type")
                .order_by("-action_time", "-id")[:limit])
