import copy
import functools
import logging
import traceback
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.exceptions import ImproperlyConfigured
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
)
from django.templatetags.static import static
from django.urls import URLPattern, include, path
from django.urls.resolvers import RegexPattern, RoutePattern, URLResolver
from django.views.generic import RedirectView

from config.health import healthz
from infra.help import help_page
from reminders.channels import sms

# admin.site is infra.admin_site.SuperuserAdminSite (config.apps.SettleAdminConfig).

logger = logging.getLogger(__name__)


class _RouteSlashOptional(RoutePattern):
    def match(self, path: str) -> Any:
        return super().match(path) or (None if path.endswith("/") else super().match(f"{path}/"))


class _RegexSlashOptional(RegexPattern):
    def match(self, path: str) -> Any:
        return super().match(path) or (None if path.endswith("/") else super().match(f"{path}/"))


def slash_optional(patterns: list[Any]) -> list[Any]:
    """The same routes, each also answering without its trailing slash. Providers POST to the
    URL they were given and follow no redirect, so APPEND_SLASH's 301 would lose the event;
    names and ``reverse()`` stay as they were (with the slash)."""
    optional: list[Any] = []
    for entry in patterns:
        entry = copy.copy(entry)
        endpoint = not isinstance(entry, URLResolver)
        kind = (_RegexSlashOptional if isinstance(entry.pattern, RegexPattern)
                else _RouteSlashOptional)
        entry.pattern = kind(str(entry.pattern), name=entry.pattern.name, is_endpoint=endpoint)
        optional.append(entry)
    return optional


def slash_optional_include(included: tuple[list[Any], str | None, str | None]
                           ) -> tuple[list[Any], str | None, str | None]:
    """``slash_optional`` for the patterns of an ``include()``-style (patterns, app, namespace)."""
    patterns, app_name, namespace = included
    return slash_optional(list(patterns)), app_name, namespace


def _webhook_secret_required(view: Any) -> Any:
    """anymail accepts anyone's webhook events when ``ANYMAIL["WEBHOOK_SECRET"]`` is unset (it
    only warns): a forged bounce would flag a client's address. Without a secret, refuse all."""
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
            return HttpResponse("E-mail webhooks are off until ANYMAIL_WEBHOOK_SECRET is set.",
                                status=403, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)
    return guarded


# What anymail raises reading a body that is not the ESP's payload: bad JSON or encoding
# (ValueError), a missing field (KeyError), the wrong shape (TypeError, AttributeError), and
# Amazon SES's "Malformed SNS message body" (anymail's AnymailAPIError, matched by name:
# only reminders.channels.email imports anymail).
_MALFORMED = (ValueError, LookupError, TypeError, AttributeError)


def _is_malformed_body(exc: BaseException) -> bool:
    """True when ``exc`` came from anymail reading the request, not from Settle handling an
    event: anymail validates and parses every event before it sends any signal, so an error
    that passed through ``Signal.send`` is Settle's own (500: the ESP retries) and so is a
    configuration error (ImproperlyConfigured, e.g. a missing signing key)."""
    if isinstance(exc, ImproperlyConfigured):
        return False
    if not (isinstance(exc, _MALFORMED) or type(exc).__name__ == "AnymailAPIError"):
        return False
    return not any(frame.f_globals.get("__name__") == "django.dispatch.dispatcher"
                   for frame, _ in traceback.walk_tb(exc.__traceback__))


def _malformed_body_is_400(view: Any) -> Any:
    """anymail answers 500 to an authenticated request whose body it cannot parse (malformed
    JSON, the wrong shape): answer 400, which tells the sender the request itself is wrong."""
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Exception as exc:
            if not _is_malformed_body(exc):
                raise
            logger.warning("anymail webhook %s: malformed body (%s)", request.path,
                           type(exc).__name__)
            return HttpResponse("The request body is not this provider's webhook payload.",
                                status=400, content_type="text/plain; charset=utf-8")
    return guarded


def _anymail_urls() -> tuple[list[Any], str | None, str | None]:
    """anymail's URLs (tracking and inbound webhooks), each behind the secret check and
    answering 400 to a malformed body."""
    module, app_name, namespace = include("anymail.urls")
    patterns: list[Any] = []
    for pattern in getattr(module, "urlpatterns", module):
        assert isinstance(pattern, URLPattern), pattern  # anymail nests no includes
        guarded = copy.copy(pattern)
        guarded.callback = _webhook_secret_required(_malformed_body_is_400(pattern.callback))
        patterns.append(guarded)
    return patterns, app_name, namespace


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page's icon link says. The
    static URL is looked up per request (in production it names the hashed file, which the
    manifest knows only after collectstatic)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:dashboard"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invoices/", include("desk.urls_invoices")),
    path("desk/", include("desk.urls")),
    path("analytics/", include("insights.urls")),
    path("configure/", include("configure.urls")),
    path("transfer/", include("transfer.urls")),
    path("api/", include("api.urls")),
    path("escalation/", include("desk.urls_escalation")),
    path("settings/", include("people.urls")),
    path("help/<slug:topic>/", help_page, name="help"),
    path("", include("desk.urls_work")),
    *slash_optional([
        path("hooks/twilio/status/", sms.twilio_status, name="twilio-status"),
        path("hooks/twilio/inbound/", sms.twilio_inbound, name="twilio-inbound"),
        path("hooks/stripe/", include("checkout.urls")),
    ]),
    path("p/", include("portal.urls")),
    path("anymail/", slash_optional_include(_anymail_urls())),
    path("admin/", admin.site.urls),
]
