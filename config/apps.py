"""Two app configs of the wiring: the Django admin on Settle's superuser-only site, and the
deployment checks (``config.checks``), registered when the apps are ready."""

from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class SettleAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``admin.site`` an ``infra.admin_site.SuperuserAdminSite``:
    staff status alone opens nothing; everything an admin configures goes through Configure."""

    default_site = "infra.admin_site.SuperuserAdminSite"


class WiringConfig(AppConfig):
    name = "config"
    label = "settle_config"
    verbose_name = "Settle wiring"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the checks)
