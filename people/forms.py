"""The "Your settings" form: a time zone from the tz database, grouped by region, and a
language (or the browser's)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.contact import LANGUAGES, ContactError, validate_timezone

# Zone names that are links kept for old data ("US/Eastern", "Etc/GMT+5", "CET") are not
# offered, but a saved one still works; these regions hold the canonical names.
_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
            "Europe", "Indian", "Pacific")


@cache
def zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(region, [(name, label), ...]), ...] with UTC first, for a <select> with optgroups."""
    from zoneinfo import available_timezones

    grouped: dict[str, list[tuple[str, str]]] = {region: [] for region in _REGIONS}
    for name in sorted(available_timezones()):
        region, _, place = name.partition("/")
        if region in grouped and place:
            grouped[region].append((name, place.replace("_", " ").replace("/", " / ")))
    return [("UTC", [("UTC", "UTC")])] + [(r, zones) for r, zones in grouped.items() if zones]


class UserSettingsForm(forms.Form):
    time_zone = forms.CharField(
        label="Your time zone", max_length=64,
        help_text="Times on your pages (created, sent, done) are shown in it. Times about a "
                  "client (next reminder, call due, promised) are shown in the client's zone, "
                  "with the zone named.",
        error_messages={"required": "Choose your time zone."})
    language = forms.ChoiceField(
        label="Language of your pages", required=False,
        choices=[("", "Your browser's language"), *LANGUAGES.items()],
        error_messages={"invalid_choice": "Choose one of the languages listed."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone_groups = zone_choices()

    def is_listed(self, name: str) -> bool:
        """False for a zone the list leaves out (an old alias such as "US/Eastern" saved
        before): the page then offers it too, so saving does not change it unasked."""
        return any(name == zone for _, zones in self.zone_groups for zone, _ in zones)

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            return validate_timezone(name).key
        except ContactError:
            raise ValidationError(
                f"“{name}” is not a time zone Settle knows: choose one from the list (an IANA "
                "name such as Europe/Berlin or America/New_York).",
                code="unknown_time_zone") from None
