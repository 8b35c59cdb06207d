"""Times shown to a person: a time about a client (its next reminder, a call due, a promise) in
the client's zone with the zone named, every other time in the viewer's own zone (activated for
the request by ``people.middleware``). Never a bare UTC time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone

from core.contact import ContactError, validate_timezone

# Weekday, day, month and time: the year is added when it is not the current one.
CLIENT_FORMAT = "D j M H:i"
CLIENT_FORMAT_WITH_YEAR = "D j M Y H:i"


def zone_of(where: Any) -> ZoneInfo:
    """The zone of a client (anything with a ``timezone`` name) or of a zone name; the
    viewer's zone when the name is empty or unknown."""
    name = getattr(where, "timezone", where)
    if isinstance(name, ZoneInfo):
        return name
    if isinstance(name, str) and name:
        try:
            return validate_timezone(name)
        except ContactError:
            pass
    current = timezone.get_current_timezone()
    return current if isinstance(current, ZoneInfo) else ZoneInfo(str(current))


def in_zone(value: datetime, where: Any, fmt: str = "") -> tuple[str, str]:
    """(the time written in ``where``'s zone, the zone's name): ``("Tue 17 Mar 10:30",
    "Europe/Berlin")``. ``fmt`` is a Django date format; by default weekday, day, month (and
    the year when it is not this year) and the time."""
    zone = zone_of(where)
    local = value.astimezone(zone) if timezone.is_aware(value) else value.replace(tzinfo=zone)
    if not fmt:
        this_year = timezone.now().astimezone(zone).year
        fmt = CLIENT_FORMAT if local.year == this_year else CLIENT_FORMAT_WITH_YEAR
    return dateformat.format(local, fmt), zone.key


def abbreviation(value: datetime, where: Any) -> str:
    """The zone's abbreviation at that moment ("CET", "EDT"); numeric ones ("+04") too."""
    return value.astimezone(zone_of(where)).tzname() or ""
