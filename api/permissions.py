"""Every endpoint of the API needs the Bookkeeper role (admins are bookkeepers too)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from config.roles import is_bookkeeper


class IsBookkeeper(BasePermission):
    message = ("Your user has no Bookkeeper role, so the API refuses it: ask an admin to add "
               "the user to the Bookkeeper group.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_bookkeeper(request.user)
