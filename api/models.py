"""What the API stores of its own: the responses to POSTs sent with an ``Idempotency-Key``, and
the users' API tokens (as hashes)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class IdempotencyKey(models.Model):
    """One POST made with an ``Idempotency-Key`` header, and the response it got.

    The key is the client's: unique per user, so two integrations cannot collide. The row is
    written in the same transaction as whatever the request created, so it exists exactly when
    the request's effects do; a retry finds it and gets the stored response back instead of
    creating the thing twice. ``fingerprint`` (method, path and body) tells a retry from a
    different request that reuses the key by mistake."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class TokenScope(models.TextChoices):
    READ = "read", "Read only (GET)"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """One API token of a user. Only the SHA-256 of the secret is stored (``digest``): the
    secret itself is shown once, when the token is made, and cannot be read back. ``prefix``
    (its first characters) tells the owner which token a row is. Every token expires; a
    ``read`` token may only read (GET); the owner lists and revokes their tokens on the API
    token page (``api.pages.token_page``) or with ``manage.py api_token``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=TokenScope.choices,
                             default=TokenScope.WRITE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'API token'})"
