"""Writing a user's settings: validated in full, one row per user."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from people.models import UserSettings


@transaction.atomic
def user_settings_update(*, user: Any, time_zone: str, language: str = "") -> UserSettings:
    """Save the user's time zone and language; ``ValidationError`` (naming the field) for an
    unknown zone or an unsupported language, and nothing is written."""
    row = UserSettings.objects.select_for_update().filter(user=user).first()
    if row is None:
        row = UserSettings(user=user)
    row.time_zone = (time_zone or "").strip()
    row.language = (language or "").strip()
    row.full_clean(exclude=["user"])
    row.save()  # people.signals drops the cached copy
    return row
