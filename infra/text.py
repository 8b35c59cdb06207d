"""The text and identifier policy of ``core.text`` in Django's terms: model and form field
validators, and the middleware that keeps control characters out of every request.

``RejectControlCharacters`` (in ``MIDDLEWARE``) answers 400 with a message — JSON under
``/api/``, a small page elsewhere — when the path, a query parameter or a form field (names
and values) holds a control character other than newline, carriage return and tab. One
check covers every form and filter, so no view, form or query ever hands PostgreSQL a NUL.
JSON bodies are the serializers' to check (``api.fields``), identifiers (one line, printable,
at most 64 characters) the models' and the services' (``IdentifierValidator``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.request import RawPostDataException
from django.utils.deconstruct import deconstructible
from django.utils.html import format_html

from core import text as policy


@deconstructible
class IdentifierValidator:
    """Printable, one line, at most ``max_length`` characters (invoice numbers, references)."""

    def __init__(self, what: str = "The number",
                 max_length: int = policy.IDENTIFIER_MAX_LENGTH) -> None:
        self.what = what
        self.max_length = max_length

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and (problem := policy.identifier_problem(
                value, what=self.what, max_length=self.max_length)):
            raise ValidationError(problem, code="identifier")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, IdentifierValidator) and other.what == self.what
                and other.max_length == self.max_length)


@deconstructible
class TextValidator:
    """No control characters; newlines and tabs only when ``multiline``."""

    def __init__(self, what: str = "The text", multiline: bool = True) -> None:
        self.what = what
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and (problem := policy.text_problem(
                value, multiline=self.multiline, what=self.what)):
            raise ValidationError(problem, code="control_character")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TextValidator) and other.what == self.what
                and other.multiline == self.multiline)


def check_identifier(value: str, *, field: str, what: str,
                     max_length: int = policy.IDENTIFIER_MAX_LENGTH) -> None:
    """For services: a field error (``{field: message}``) before the value reaches a query."""
    if problem := policy.identifier_problem(value, what=what, max_length=max_length):
        raise ValidationError({field: problem})


def check_text(value: str, *, field: str, what: str, multiline: bool = True) -> None:
    if problem := policy.text_problem(value, multiline=multiline, what=what):
        raise ValidationError({field: problem})


# --- The middleware ---------------------------------------------------------------------------

def _first_bad(pairs: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(field name, problem) of the first parameter whose name or value breaks the policy."""
    for name, value in pairs:
        for text, what in ((name, "A field name"), (value, f"The field “{name}”")):
            if problem := policy.text_problem(text, what=what):
                return name, problem
    return None


WEBHOOK_PREFIXES = ("/anymail/", "/hooks/")


def request_problem(request: HttpRequest) -> str | None:
    """Why this request's path, query or form fields cannot be accepted, or None."""
    if problem := policy.text_problem(request.path_info, multiline=False, what="The address"):
        return problem
    found = _first_bad(_flat(request.GET.lists()))
    # Provider webhooks parse their own bodies (and read request.body after us: a form read
    # here first would make that fail); their signatures and parsers guard them.
    if found is None and request.method == "POST" and not request.path_info.startswith(
            WEBHOOK_PREFIXES) and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            found = _first_bad(_flat(request.POST.lists()))
        except RawPostDataException:  # the body was already read as a stream: not a form
            found = None
    return found[1] if found else None


def _flat(lists: Iterable[tuple[str, list[str]]]) -> Iterable[tuple[str, str]]:
    for name, values in lists:
        for value in values:
            yield name, value


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """400 with ``message``: JSON (``{"detail": ...}``) under /api/, a small page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    page = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Bad request</title></head><body><main><h1>This request cannot be accepted"
        "</h1><p>{}</p><p>Go back, correct it and send it again.</p></main></body></html>",
        message)
    return HttpResponseBadRequest(page, content_type="text/html; charset=utf-8")


class RejectControlCharacters:
    """400 for a control character (other than newline, carriage return and tab) anywhere in
    the path, the query string or a submitted form; nothing below it runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if problem := request_problem(request):
            return bad_request(request, problem)
        return self.get_response(request)
