import copy
import functools
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, include, path
from django.views.generic import RedirectView

from config.health import healthz
from reminders.channels import sms

# admin.site is infra.admin_site.SuperuserAdminSite (config.apps.SettleAdminConfig).


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


def _anymail_urls() -> tuple[list[Any], str | None, str | None]:
    """anymail's URLs (tracking and inbound webhooks), each behind the secret check."""
    module, app_name, namespace = include("anymail.urls")
    patterns: list[Any] = []
    for pattern in getattr(module, "urlpatterns", module):
        assert isinstance(pattern, URLPattern), pattern  # anymail nests no includes
        guarded = copy.copy(pattern)
        guarded.callback = _webhook_secret_required(pattern.callback)
        patterns.append(guarded)
    return patterns, app_name, namespace


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:dashboard"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invoices/", include("desk.urls_invoices")),
    path("desk/", include("desk.urls")),
    path("analytics/", include("insights.urls")),
    path("configure/", include("configure.urls")),
    path("transfer/", include("transfer.urls")),
    path("api/", include("api.urls")),
    path("escalation/", include("desk.urls_escalation")),
    path("", include("desk.urls_work")),
    path("hooks/twilio/status/", sms.twilio_status, name="twilio-status"),
    path("hooks/twilio/inbound/", sms.twilio_inbound, name="twilio-inbound"),
    path("hooks/stripe/", include("checkout.urls")),
    path("p/", include("portal.urls")),
    path("anymail/", _anymail_urls()),
    path("admin/", admin.site.urls),
]
