"""What a user chose, with the defaults filled in, and a cached copy of it for the middleware."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from core.contact import ContactError, validate_timezone
from people.models import UserSettings


@dataclass(frozen=True)
class Preferences:
    time_zone: str  # an IANA name zoneinfo knows
    language: str  # "" for the browser's
    saved: bool  # False: nothing chosen yet, the defaults apply


def default_time_zone() -> str:
    """The business's zone (SETTLE_DEFAULT_TIMEZONE): a bookkeeper who chose nothing sees times
    where the business is, not in UTC."""
    for name in (getattr(settings, "SETTLE_DEFAULT_TIMEZONE", ""), settings.TIME_ZONE):
        try:
            return validate_timezone(name).key
        except ContactError:
            continue
    return "UTC"


def preferences_of(user: Any) -> Preferences:
    """The user's settings, or the defaults for a user who has none (or nobody)."""
    row = None
    if user is not None and getattr(user, "is_authenticated", False):
        row = (UserSettings.objects.filter(user_id=user.pk)
               .values_list("time_zone", "language").first())
    if row is None:
        return Preferences(default_time_zone(), "", saved=False)
    zone, language = row
    try:
        zone = validate_timezone(zone).key
    except ContactError:  # a zone the system's tz database no longer has
        zone = default_time_zone()
    return Preferences(zone, language if language in dict(settings.LANGUAGES) else "",
                       saved=True)


# The middleware needs the settings on every signed-in request, so they are kept in the cache
# (shared by every web process in production, where CACHE_URL is Redis): read at login
# (people.signals), dropped when saved (people.services.user_settings_update), read again
# after a day at most. A page costs no query for them.
CACHE_SECONDS = 24 * 3600


def cache_key(user_id: object) -> str:
    return f"settle:people:preferences:{user_id}"


def preferences_cached(user: Any) -> Preferences:
    """``preferences_of``, without a query while the cache holds the answer."""
    if user is None or not getattr(user, "is_authenticated", False):
        return preferences_of(user)
    found = cache.get(cache_key(user.pk))
    if isinstance(found, Preferences):
        return found
    return remember_preferences(user)


def remember_preferences(user: Any) -> Preferences:
    """Read the user's settings and keep them in the cache."""
    preferences = preferences_of(user)
    cache.set(cache_key(user.pk), preferences, CACHE_SECONDS)
    return preferences
