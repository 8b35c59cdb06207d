"""Errors in one shape: ``{"field": ["message", ...]}`` (``non_field_errors`` for the request
as a whole, ``detail`` for authentication, permission, not-found and throttling).

The services raise Django's ``ValidationError`` with messages written for people; they reach
the integration unchanged, as a 400 in DRF's usual field → messages shape."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """409: the natural key (client reference, invoice number, payment reference) is taken."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This already exists."
    default_code = "conflict"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def as_field_messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field:
                list(messages) for field, messages in exc.message_dict.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_field_messages(exc))
    return drf_exception_handler(exc, context)
