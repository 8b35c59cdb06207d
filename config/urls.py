from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz
from reminders.channels import sms

admin.site.site_header = "Settle administration"
admin.site.site_title = "Settle"

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
    path("anymail/", include("anymail.urls")),
    path("admin/", admin.site.urls),
]
