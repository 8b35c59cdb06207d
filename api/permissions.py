"""Every endpoint of the API needs the Bookkeeper role (admins are bookkeepers too)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from infra.roles import is_bookkeeper


class AuthenticatedRequest(Request):
    """The request an API view handles: ``IsBookkeeper`` (the default permission of every
    endpoint) has refused anonymous users before the view runs, so ``user`` is a real user.
    For annotations only; DRF still passes a plain ``Request``."""

    user: User


class IsBookkeeper(BasePermission):
    message = ("Your user has no Bookkeeper role, so the API refuses it: ask an admin to add "
               "the user to the Bookkeeper group.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_bookkeeper(request.user)
