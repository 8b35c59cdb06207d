"""Each user's own settings: the time zone their pages show times in (times about a client are
shown in the client's zone, labelled), and optionally the language of their pages."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.contact import LANGUAGES, ContactError, validate_timezone


def validate_time_zone(value: str) -> None:
    """An IANA zone name Python's zoneinfo knows ("Europe/Berlin"), or a message saying so."""
    try:
        validate_timezone(value)
    except ContactError as exc:
        raise ValidationError(str(exc), code="unknown_time_zone") from None


class UserSettings(models.Model):
    """One row per user who changed a setting; without one, the defaults apply (the
    business's zone, SETTLE_DEFAULT_TIMEZONE; the browser's language)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="settle_settings")
    time_zone = models.CharField(
        max_length=64, validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Berlin: times on your pages are shown in it.")
    language = models.CharField(
        max_length=8, blank=True, choices=list(LANGUAGES.items()),
        help_text="The language of your pages; empty: your browser's.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "user settings"
        verbose_name_plural = "user settings"

    def __str__(self) -> str:
        return f"Settings of user {self.user_id}"
