"""The Django admin site, for active superusers only.

Settle's own pages decide who may do what by role (``infra.roles``: the Admin and Bookkeeper
groups), and everything an admin configures goes through Configure, which validates it. The
Django admin bypasses those checks, so it is open to superusers alone, whatever staff status
or model permissions a user has (``config.apps.SettleAdminConfig`` makes this the site)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest


class SuperuserAdminSite(AdminSite):
    site_header = "Settle administration"
    site_title = "Settle"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)
