"""Every page a signed-in person opens shows times in their own zone (and, when they chose one,
in their language): the zone is activated for the request and deactivated after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation

from people.selectors import preferences_cached

Handler = Callable[[HttpRequest], HttpResponseBase]

# The REST API answers machines: its times keep one fixed offset, whoever is signed in.
_UNTOUCHED_NAMESPACES = frozenset({"api"})


class UserSettingsMiddleware:
    """After AuthenticationMiddleware: activates the signed-in user's time zone (Django then
    shows every aware datetime in templates and ``timezone.localtime`` in it) and their chosen
    language, if any. ``request.settle_preferences`` holds what was applied."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any],
                     view_args: Any, view_kwargs: Any) -> None:
        match = request.resolver_match
        if match is not None and _UNTOUCHED_NAMESPACES.intersection(match.namespaces):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        preferences = preferences_cached(user)
        timezone.activate(ZoneInfo(preferences.time_zone))
        if preferences.language:
            translation.activate(preferences.language)
            request.LANGUAGE_CODE = preferences.language
        request.settle_preferences = preferences  # type: ignore[attr-defined]
        return None
