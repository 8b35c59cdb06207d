"""API tokens: one per user (DRF's ``authtoken``), created or replaced on request."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token


def token_get(*, user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


def token_issue(*, user: User, rotate: bool = False) -> tuple[Token, bool]:
    """The user's token, created when missing; ``rotate`` replaces an existing one (the old
    key stops working at once). Returns (token, whether it is new)."""
    with transaction.atomic():
        current = Token.objects.select_for_update().filter(user=user).first()
        if current is not None and not rotate:
            return current, False
        if current is not None:
            current.delete()
        return Token.objects.create(user=user), True
