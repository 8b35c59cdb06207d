"""``Idempotency-Key`` on POST: a retry gets the first response back and creates nothing.

The key's row is inserted before the view runs and filled in after it, all inside one
transaction with the view's own writes: so the row exists exactly when the effects do. A
request that fails (any 4xx/5xx) rolls back with its key, and may be corrected and sent again
under the same key. Two concurrent requests with one key cannot both run: the unique
constraint on (user, key) makes the second insert wait for the first transaction and then fail
(PostgreSQL), or the second transaction wait for the write lock (SQLite, IMMEDIATE mode); the
second then finds the committed row and replays it."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import KeyReused
from api.models import IdempotencyKey
from api.permissions import AuthenticatedRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII, spaces only inside: what every HTTP stack carries unchanged (the schema says
# the same, with the length).
KEY_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"
_KEY = re.compile(KEY_PATTERN)

Handler = Callable[..., Response]


def lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "SETTLE_API_IDEMPOTENCY_HOURS", 24))


def fingerprint(request: Request) -> str:
    """Method, path and the parsed body, canonically: key order and spacing do not matter."""
    body = request.data
    if hasattr(body, "lists"):  # a QueryDict
        body = dict(body.lists())
    canonical = json.dumps({"method": request.method, "path": request.path, "body": body},
                           sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if len(raw) > MAX_KEY_LENGTH or not _KEY.fullmatch(raw):
        raise exceptions.ValidationError({HEADER: [
            f"Send a key of 1 to {MAX_KEY_LENGTH} printable ASCII characters (no space at "
            "either end), e.g. a UUID made once per operation and sent again with every "
            "retry of it."]})
    return raw


class _Failed(Exception):
    """Carries a non-2xx response out of the atomic block, so the key rolls back with it."""

    def __init__(self, response: Response) -> None:
        self.response = response


def purge_expired(*, batch: int = 200) -> int:
    """Forget up to ``batch`` keys older than their lifetime; returns how many went. Rows
    another transaction holds are skipped (PostgreSQL), so two requests purging at once never
    wait for each other; SQLite runs one writer at a time anyway."""
    expired = (IdempotencyKey.objects.filter(created_at__lt=timezone.now() - lifetime())
               .order_by("pk").select_for_update(skip_locked=True))
    ids = list(expired.values_list("pk", flat=True)[:batch])
    deleted, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
    return deleted


def _replay(stored: IdempotencyKey, fingerprint_now: str) -> Response:
    if stored.fingerprint != fingerprint_now:
        raise KeyReused({HEADER: [
            f"This key was already used {timezone.localtime(stored.created_at):%Y-%m-%d %H:%M} "
            f"for a different request ({stored.method} {stored.path} with another body). Use "
            "a new key for a new operation; a retry must send exactly the same body."]})
    return Response(stored.response_body, status=stored.status_code,
                    headers={REPLAYED_HEADER: "true"})


def idempotent(handler: Handler) -> Handler:
    """Decorate a view method that answers POST; requests without the header run as usual."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        key = _key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fp = fingerprint(request)
        assert request.method is not None  # None only for an HttpRequest built by hand
        try:
            with transaction.atomic():
                IdempotencyKey.objects.filter(  # this key, when expired: free to use again
                    user=request.user, key=key, created_at__lt=timezone.now() - lifetime()
                ).delete()
                purge_expired()
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(
                            user=request.user, key=key, fingerprint=fp, method=request.method,
                            path=request.path[:500], status_code=0, created_at=timezone.now())
                except IntegrityError:
                    return _replay(IdempotencyKey.objects.get(user=request.user, key=key), fp)
                response = handler(view, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _Failed(response)
                record.status_code = response.status_code
                record.response_body = response.data
                record.save(update_fields=["status_code", "response_body"])
                return response
        except _Failed as failed:
            return failed.response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper
