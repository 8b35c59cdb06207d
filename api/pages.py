"""The API's two HTML pages for people: the user's own tokens, and the endpoint reference.

The reference is rendered on the server from the same OpenAPI schema ``/api/schema/`` serves:
the Swagger and Redoc UIs load scripts from a CDN and run inline code, which the site's
Content-Security-Policy refuses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from drf_spectacular.generators import SchemaGenerator

from api.models import TokenScope
from api.tokens import default_days, max_days, token_create, token_list, token_revoke
from core.text import ascii_digits
from infra.roles import AuthenticatedHttpRequest, bookkeeper_required

# The lifetimes offered on the page (the configured default is always among them).
LIFETIMES = (7, 30, 90, 180, 365)


def _token_context(request: AuthenticatedHttpRequest, **extra: Any) -> dict[str, Any]:
    lifetimes = sorted({d for d in (*LIFETIMES, default_days()) if d <= max_days()})
    return {"tokens": token_list(user=request.user), "now": timezone.now(),
            "scopes": TokenScope.choices, "lifetimes": lifetimes,
            "default_days": default_days(), **extra}


@bookkeeper_required
@require_http_methods(["GET", "POST"])
def token_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own API tokens: listed (prefix, scope, expiry, last use), revoked, created.
    A new token's secret is in this one response only (never stored, never redirected to)."""
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token_id = request.POST.get("token", "")
        if ascii_digits(token_id) and len(token_id) <= 18 and token_revoke(
                user=request.user, token_id=int(token_id)):
            messages.success(request, "Token revoked: it no longer works.")
        else:
            messages.error(request, "No such token of yours: nothing was revoked.")
        return redirect("api:token")
    if request.method == "POST":
        days = request.POST.get("days", "")
        try:
            if not (ascii_digits(days) and len(days) <= 4):
                raise ValidationError("Choose how many days the token is valid.")
            token, key = token_create(user=request.user, name=request.POST.get("name", ""),
                                      scope=request.POST.get("scope", ""), days=int(days))
        except ValidationError as error:
            return render(request, "api/token.html",
                          _token_context(request, errors=error.messages), status=400)
        return render(request, "api/token.html", _token_context(request, new_token=token,
                                                                 new_key=key))
    return render(request, "api/token.html", _token_context(request))


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " & ".join(_type_of(part) for part in schema["allOf"])
    if "oneOf" in schema:
        return " | ".join(_type_of(part) for part in schema["oneOf"])
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    kind = schema.get("type", "any")
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    if "enum" in schema:
        kind = f"{kind}: {', '.join(str(v) for v in schema['enum'] if v)}"
    return kind


def _fields(component: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(component.get("required", ()))
    return [{"name": name, "type": _type_of(prop), "required": name in required,
             "read_only": prop.get("readOnly", False),
             "description": prop.get("description", "")}
            for name, prop in component.get("properties", {}).items()]


def reference(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as plain rows for a template: operations and the shapes they use."""
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = (op.get("requestBody", {}).get("content", {})
                    .get("application/json", {}).get("schema", {}))
            responses = [{"status": code, "type": _type_of(
                r.get("content", {}).get("application/json", {}).get("schema", {}))
                if r.get("content") else "—", "description": r.get("description", "")}
                for code, r in op.get("responses", {}).items()]
            operations.append({
                "method": method.upper(), "path": path, "tag": (op.get("tags") or [""])[0],
                "anchor": op.get("operationId", ""),
                "description": op.get("description", ""),
                "parameters": [{"name": p["name"], "in": p["in"],
                                "required": p.get("required", False),
                                "type": _type_of(p.get("schema", {})),
                                "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "body": _type_of(body) if body else "", "responses": responses})
    components = schema.get("components", {}).get("schemas", {})
    shapes = [{"name": name, "fields": _fields(c), "description": c.get("description", ""),
               "values": _type_of(c) if "enum" in c else ""}
              for name, c in sorted(components.items())]
    return {"info": schema.get("info", {}), "operations": operations, "shapes": shapes}


@bookkeeper_required
@require_http_methods(["GET"])
def docs_page(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(request, "api/docs.html", reference(schema))
