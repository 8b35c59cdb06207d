"""Two middlewares for every response: a request body above the cap is refused (413) before
anything reads it, and pages for a signed-in user are never stored by a browser or a proxy."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control

from core.contact import babel_locale
from core.text import ascii_digits

Handler = Callable[[HttpRequest], HttpResponseBase]


class RequestSizeLimitMiddleware:
    """``Content-Length`` above ``SETTLE_MAX_REQUEST_BYTES`` → 413, the body unread (Django's
    own limits apply only once a form is parsed, after a multipart upload was spooled to disk).
    A body without a length is the proxy's to bound (nginx ``client_max_body_size``): Django
    reads nothing of a request that declares no length."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.SETTLE_MAX_REQUEST_BYTES
        if not (ascii_digits(declared)) or len(declared) > 15:
            return _refuse(400, "The Content-Length header is not a number.")
        if int(declared) > limit:
            return _refuse(413, f"The request is larger than {limit // (1024 * 1024)} MB: "
                                "send a smaller file (split an import into several).")
        return self.get_response(request)


def _refuse(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the unread body must not be taken for the next request
    return response


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user or to a
    request that carries a session, unless the view set its own Cache-Control. (The pay-now
    pages, which have no login, send their own ``no-store, private``.)"""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if has_session or bool(getattr(user, "is_authenticated", False)):
            patch_cache_control(response, private=True, no_store=True)
        return response


def viewer_locale(request: HttpRequest) -> str:
    """The locale the desk shows amounts in: the viewer's language in the site's country (one
    money format on every page)."""
    return babel_locale(getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE,
                        settings.SETTLE_DEFAULT_COUNTRY)
