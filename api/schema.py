"""What the OpenAPI schema (``/api/schema/``) says beyond what drf-spectacular infers: every
error status an operation can answer with the one error body (``api.errors``), the
``Idempotency-Key`` header where it is honoured, and the text policy and date bounds as
patterns, so that the schema is true (schemathesis checks it: tests/api/test_schemathesis.py).

Every view of the API uses ``ApiAutoSchema`` (``api.views.ApiViewSet``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

from api import fields
from api.errors import ERROR_SCHEMA
from api.idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH, REPLAYED_HEADER
from core.text import ID_MAX

# --- Text: core.text's policy as patterns -----------------------------------------------------
# Free text (notes; also every query value, which the middleware checks as free text): no
# control character but tab, line feed and carriage return.
MULTILINE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
# One line (names, reasons): no control character at all, no line or paragraph separator.
LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
# Identifiers (invoice numbers, references): printable (Python's str.isprintable) on one line.
IDENTIFIER_PATTERN = (r"^[^\u0000-\u001f\u007f-\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680"
                      r"\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ud800-\uf8ff"
                      r"\ufeff\ufff0-\ufffb\ufffe\uffff]*$")


class _TextExtension(OpenApiSerializerFieldExtension):
    pattern = MULTILINE_PATTERN

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = self.pattern
        return schema


class TextFieldExtension(_TextExtension):
    target_class = fields.TextField
    pattern = MULTILINE_PATTERN


class LineFieldExtension(_TextExtension):
    target_class = fields.LineField
    pattern = LINE_PATTERN


class IdentifierFieldExtension(_TextExtension):
    target_class = fields.IdentifierField
    pattern = IDENTIFIER_PATTERN


class QueryTextFieldExtension(_TextExtension):
    target_class = fields.QueryTextField
    pattern = MULTILINE_PATTERN


# --- Dates: a pattern that matches exactly the valid dates between two days -------------------

def _two_digits(low: int, high: int) -> str:
    return "(?:" + "|".join(f"{n:02d}" for n in range(low, high + 1)) + ")"


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _month_days(year: int, month: int, first: int = 1, last: int | None = None) -> str:
    return f"{month:02d}-{_two_digits(first, last or _days_in(year, month))}"


def _whole_year(year: int) -> str:
    return "(?:" + "|".join(_month_days(year, m) for m in range(1, 13)) + ")"


def _part_of_year(start: date, end: date) -> str:
    """Dates from ``start`` to ``end`` within one year, without the year."""
    parts = []
    for month in range(start.month, end.month + 1):
        first = start.day if month == start.month else 1
        last = end.day if month == end.month else _days_in(start.year, month)
        parts.append(_month_days(start.year, month, first, last))
    return "(?:" + "|".join(parts) + ")"


def date_pattern(start: date, end: date) -> str:
    """An anchored regular expression for the ISO dates from ``start`` to ``end``: whole years
    share one alternative per kind (leap or not), so it stays a few kilobytes."""
    alternatives = []
    if start.year == end.year:
        return f"^{start.year}-{_part_of_year(start, end)}$"
    alternatives.append(f"{start.year}-{_part_of_year(start, date(start.year, 12, 31))}")
    whole = range(start.year + 1, end.year)
    for leap in (False, True):
        years = [y for y in whole if (_days_in(y, 2) == 29) == leap]
        if years:
            alternatives.append(f"(?:{'|'.join(map(str, years))})-{_whole_year(years[0])}")
    alternatives.append(f"{end.year}-{_part_of_year(date(end.year, 1, 1), end)}")
    return "^(?:" + "|".join(alternatives) + ")$"


class BoundedDateFieldExtension(OpenApiSerializerFieldExtension):
    target_class = fields.BoundedDateField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field = self.target
        start, end = field.bounds(timezone.localdate())
        return {"type": "string", "format": "date", "pattern": date_pattern(start, end),
                "description": f"{field.help_text + ' ' if field.help_text else ''}"
                               f"From {start.isoformat()} to {end.isoformat()}."}


class EmailOrBlankFieldExtension(OpenApiSerializerFieldExtension):
    target_class = fields.EmailOrBlankField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        return {"anyOf": [{"type": "string", "format": "email", "maxLength": 254},
                          {"type": "string", "maxLength": 0}],
                "description": "An e-mail address, or \"\" when there is none."}


# --- Operations: errors and the Idempotency-Key ----------------------------------------------

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
             "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER, required=False,
    description=f"1 to {MAX_KEY_LENGTH} visible ASCII characters (spaces only inside), unique "
                "per operation (a UUID): a retry with the same key and body gets the first "
                "response back (with Idempotent-Replayed: true) and creates nothing; the same "
                "key with another body is refused with 422. Keys are kept for 24 hours.")

ID_PARAMETER = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": ID_MAX}, OpenApiParameter.PATH,
    description="Settle's id of the record (in every answer).")

_ERRORS = {
    400: "A field, a filter or the query is wrong (errors names each field).",
    401: "No token, an unknown, revoked or expired token.",
    403: "The user has no Bookkeeper role, or a read-only token tries to write.",
    404: "No such id, or a page beyond the last.",
    406: "The Accept header asks for something other than JSON.",
    409: "The natural key is taken, or the record's state does not allow this.",
    415: "The body is not application/json.",
    422: "The Idempotency-Key was used for a different request.",
    429: "Too many requests: Retry-After says when to try again.",
}


def _is_idempotent(view: Any) -> bool:
    handler = getattr(view, getattr(view, "action", None) or "", None)
    return bool(getattr(handler, "idempotent", False))


class ApiAutoSchema(AutoSchema):
    """The API's schema per operation: the errors it can answer, the Idempotency-Key on every
    POST that honours it."""

    def get_override_parameters(self) -> list[Any]:
        extra = [IDEMPOTENCY_PARAMETER] if _is_idempotent(self.view) else []
        if "{id}" in self.path:
            extra.append(ID_PARAMETER)
        return [*super().get_override_parameters(), *extra]

    def error_statuses(self) -> list[int]:
        view = self.view
        statuses = [400, 401, 403, 406, 429]
        if self.method == "GET" or "{" in self.path:  # no such id, or a page past the last
            statuses.append(404)
        if self.method in ("POST", "PATCH"):
            statuses.append(415)
            if getattr(view, "action", None) in getattr(view, "conflict_actions", ()):
                statuses.append(409)
        if _is_idempotent(view):
            statuses.append(422)
        return sorted(statuses)

    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: ComponentRegistry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA,
                                      object="Error", schema=ERROR_SCHEMA)
        registry.register_on_missing(component)
        error = component.ref
        responses = operation.setdefault("responses", {})
        for status in self.error_statuses():
            response: dict[str, Any] = {"description": _ERRORS[status],
                                        "content": {"application/json": {"schema": error}}}
            if status == 429:
                response["headers"] = {"Retry-After": {
                    "schema": {"type": "string", "pattern": r"^[0-9]+$"},
                    "description": "Seconds to wait."}}
            if status == 401:
                response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
            responses.setdefault(str(status), response)
        if self.method in ("POST", "PATCH"):
            responses.setdefault("413", {
                "description": "The body is larger than the server accepts.",
                "content": {"text/plain": {"schema": {"type": "string"}}}})
        if _is_idempotent(self.view):
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {})[REPLAYED_HEADER] = {
                        "schema": {"type": "string", "enum": ["true"]},
                        "description": "Present on a replayed answer to a retry."}
        return operation

