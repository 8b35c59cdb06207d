"""API tokens: a user's tokens, stored only as SHA-256 hashes, each with an expiry and a scope.

``token_create`` returns the secret once (the page and ``manage.py api_token`` show it and
forget it); ``token_authenticate`` finds a token by the hash of what a request sends;
``HashedTokenAuthentication`` is the API's authentication class (``Authorization: Token …``,
as before): an unknown, revoked or expired token gets 401, a read-only token 403 on a write."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS

from api.models import ApiToken, TokenScope

PREFIX_LENGTH = 8
# A token's last use is written at most this often (not on every request).
LAST_USED_EVERY = timedelta(minutes=10)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def default_days() -> int:
    return int(settings.SETTLE_API_TOKEN_DAYS)


def max_days() -> int:
    return int(settings.SETTLE_API_TOKEN_MAX_DAYS)


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, expired ones included (shown as expired)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_create(*, user: User, name: str = "", scope: str = TokenScope.WRITE,
                 days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid ``days`` (the configured default when None). Returns
    the row and the secret: the only time the secret exists outside the client."""
    days = default_days() if days is None else days
    if not 1 <= days <= max_days():
        raise ValidationError(f"A token is valid for 1 to {max_days()} days, not {days}.")
    if scope not in TokenScope.values:
        raise ValidationError(f"Unknown token scope '{scope}': use "
                              f"{' or '.join(TokenScope.values)}.")
    name = name.strip()
    if len(name) > 100:
        raise ValidationError("A token's name has at most 100 characters.")
    key = "stl_" + secrets.token_urlsafe(30)  # 240 random bits
    now = timezone.now()
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:PREFIX_LENGTH],
                                    digest=digest_of(key), scope=scope, created_at=now,
                                    expires_at=now + timedelta(days=days))
    return token, key


def token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of ``user``'s tokens (another user's token is not found). True if it was."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def token_revoke_all(*, user: User) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def token_rotate(*, user: User, **options: Any) -> tuple[ApiToken, str]:
    """Revoke every token of ``user`` and create a new one, in one transaction."""
    with transaction.atomic():
        token_revoke_all(user=user)
        return token_create(user=user, **options)


def token_authenticate(key: str) -> ApiToken | None:
    """The token whose secret is ``key``, whether or not it has expired; None if none."""
    if not key or len(key) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()


class HashedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <secret>``, checked against the stored hashes."""

    keyword = "Token"
    model = ApiToken

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        result = super().authenticate(request)
        if result is not None and result[1].scope == TokenScope.READ \
                and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                "This API token is read-only: create a read-and-write token on the API token "
                "page to change data.")
        return result

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                f"Token expired on {token.expires_at:%Y-%m-%d}: create a new one on the API "
                "token page.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
