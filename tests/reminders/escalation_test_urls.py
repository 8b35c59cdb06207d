"""The site's URLs with the escalation pages mounted as the lead will mount them (at
/escalation/, namespace "escalation"), for tests/reminders/test_escalation.py."""

from django.urls import include, path

from config.urls import urlpatterns as site

_mounted = any(getattr(p, "namespace", None) == "escalation" for p in site)
urlpatterns = [*site] if _mounted else [
    path("escalation/", include("reminders.escalation_urls")), *site]
