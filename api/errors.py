"""Every error of the API in one shape::

    {"detail": "amount: Send the amount as a decimal string ...",
     "code": "invalid",
     "errors": {"amount": ["Send the amount as a decimal string ..."]}}

``detail`` is one sentence for a person (the first problem, prefixed by its field, and how many
more there are); ``code`` is for programs (``invalid``, ``not_found``, ``conflict``,
``idempotency_key_reused``, ``not_authenticated``, ``authentication_failed``,
``permission_denied``, ``throttled``, ``method_not_allowed``, ``unsupported_media_type``,
``not_acceptable``, ``parse_error``); ``errors`` maps each field to its messages
(``non_field_errors`` for the request as a whole, positions for the items of a list:
``{"lines": {"0": {"unit_price": ["..."]}}}``) and is ``{}`` when no field is to blame.

The services raise Django's ``ValidationError`` with messages written for people; they reach
the integration unchanged under ``errors``. The middleware that refuses control characters in
a query (``infra.text``) answers before any view, with ``{"detail": ...}`` only: ``detail`` is
the one member every error has (the schema says so)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

ErrorTree = dict[str, Any]  # field -> [messages] | nested ErrorTree


class Conflict(exceptions.APIException):
    """409: the natural key (client reference, invoice number, payment reference) is taken,
    or the record's state does not allow the change (voiding a paid invoice)."""

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


def _tree(data: Any) -> Any:
    """DRF's error detail as plain JSON: lists of strings stay lists, lists of objects (the
    items of a list field) become objects keyed by position, without the items that are fine."""
    if isinstance(data, dict):
        return {str(key): _tree(value) for key, value in data.items()}
    if isinstance(data, list):
        if any(isinstance(item, dict | list) for item in data):
            return {str(i): _tree(item) for i, item in enumerate(data) if item}
        return [str(item) for item in data]
    return [str(data)]


def _messages(tree: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(tree, dict):
        return [found for key, value in tree.items()
                for found in _messages(value, (*path, key))]
    return [(path, str(message)) for message in tree]


def summary(errors: ErrorTree) -> str:
    """The first problem, for a person: "lines.0.unit_price: ... (and 2 more problems)"."""
    found = _messages(errors)
    if not found:
        return "The request is not valid."
    path, message = found[0]
    named = [p for p in path if p != api_settings.NON_FIELD_ERRORS_KEY]
    text = f"{'.'.join(named)}: {message}" if named else message
    more = len(found) - 1
    return text if not more else f"{text} (and {more} more problem{'s' if more > 1 else ''})"


def error_body(*, detail: str, code: str, errors: ErrorTree | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or {}}


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else str(exc.default_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, ``WWW-Authenticate``, ``Retry-After``), then the one shape."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_field_messages(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.APIException):  # Http404, Django's PermissionDenied
        exc = (exceptions.NotFound() if response.status_code == 404
               else exceptions.PermissionDenied())
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"} and not isinstance(
            data["detail"], dict | list):
        body = error_body(detail=str(data["detail"]), code=_code(exc))
    else:
        errors = _tree(data)
        if not isinstance(errors, dict):
            errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
        code = "invalid" if isinstance(exc, exceptions.ValidationError) else _code(exc)
        body = error_body(detail=summary(errors), code=code, errors=errors)
    response.data = body
    return response


# --- For the schema (api.schema registers it as the component "Error") ---------------------

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer of the API (4xx) has this shape.",
    "properties": {
        "detail": {"type": "string", "description": (
            "One sentence for a person: the first problem, prefixed by its field.")},
        "code": {"type": "string", "description": (
            "For programs: invalid, not_found, conflict, idempotency_key_reused, "
            "not_authenticated, authentication_failed, permission_denied, throttled, "
            "method_not_allowed, unsupported_media_type, not_acceptable, parse_error. Absent "
            "only when a query is refused for a control character, before the API sees it.")},
        "errors": {"type": "object", "additionalProperties": {}, "description": (
            "Field → messages ({\"amount\": [\"...\"]}); non_field_errors for the request "
            "as a whole; the items of a list by position ({\"lines\": {\"0\": "
            "{\"unit_price\": [\"...\"]}}}). {} when no field is to blame.")},
    },
    "required": ["detail"],
}
