"""Rendering message templates over a restricted context of plain values.

Templates are admin-edited data, so they run in a sandboxed Django template engine: no loaders
(no {% include %} or {% extends %} of files), no extra tag libraries, and a context of strings,
numbers and lists of plain dicts — never model instances. An unknown variable or a syntax error
is caught when the template is saved (``validate_template``), not at 3 a.m. when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import FilterExpression, Variable, VariableDoesNotExist, VariableNode
from django.template.defaulttags import ForNode, IfNode, TemplateLiteral

_MISSING = "\x00MISSING:%s\x00"

_engine = Engine(loaders=[], libraries={}, autoescape=True, string_if_invalid=_MISSING,
                 app_dirs=False, debug=False)
_text_engine = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid=_MISSING,
                      app_dirs=False, debug=False)

SAMPLE_INVOICE = {"number": "INV-1001", "reference": "Website relaunch",
                  "amount_due": "€1,190.00", "due_date": "2 March 2026", "days_overdue": 14}

# Every variable a template may use, with a sample value for validation and previews.
SAMPLE_CONTEXT: dict[str, Any] = {
    "business_name": "Settle Demo Ltd",
    "contact_name": "Erika Mustermann",
    "client_name": "Müller Bau GmbH",
    "invoice_numbers": "INV-1001",
    "invoices": [SAMPLE_INVOICE],
    "invoice_count": 1,
    "reference": "Website relaunch",
    "amount_due": "€1,190.00",
    "total_outstanding": "€2,380.00",
    "due_date": "2 March 2026",
    "days_overdue": 14,
    "discount_deadline": "",
    "discount_amount": "",
    "amount_with_discount": "",
    "fees_accrued": "€0.00",
    "interest_accrued": "€0.00",
    "terms_summary": "Net 30",
    "pay_url": "https://pay.example.com/p/abc123",
    "payment_instructions": "Bank transfer to IBAN DE89 3704 0044 0532 0130 00, "
                            "reference INV-1001",
    "history_line": "Thank you for usually paying on time.",
    "next_step": "hand the matter to our collections partner",
    "deadline": "16 March 2026",
    "tone": "friendly",
    # Set in the reminders of a payment plan's instalments, empty otherwise.
    "instalment_number": 2,
    "instalment_count": 4,
    "instalment_amount": "€297.50",
    "instalment_due_date": "15 April 2026",
    "plan_remaining": "€892.50",
}


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _render(source: str, context: dict[str, Any], *, html: bool) -> str:
    if not source:
        return ""
    engine = _engine if html else _text_engine
    try:
        output = engine.from_string(source).render(Context(context, autoescape=html))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"Template error: {exc}") from None
    except TemplateDoesNotExist as exc:
        raise TemplateError(f"Templates cannot include other templates ({exc}).") from None
    except (TypeError, ValueError, AttributeError, VariableDoesNotExist) as exc:
        raise TemplateError(f"Template error: {exc}") from None
    if "\x00MISSING:" in output:
        names = sorted({part.split("\x00")[0] for part in output.split("\x00MISSING:")[1:]})
        unknown = [n for n in names if n] or ["(a variable)"]
        raise TemplateError(
            f"Unknown variable: {', '.join(unknown)}. Available: "
            f"{', '.join(sorted(SAMPLE_CONTEXT))}.")
    return output


def render(*, subject: str, text: str, html: str, context: dict[str, Any]) -> Rendered:
    """Render the three parts; raises ``TemplateError`` naming what is wrong."""
    return Rendered(subject=" ".join(_render(subject, context, html=False).split()),
                    text=_render(text, context, html=False).strip() + "\n" if text else "",
                    html=_render(html, context, html=True))


def _names_used(node: Any, bound: frozenset[str]) -> set[str]:
    """Root names of every variable a template reads, in {{ }}, {% if %} and {% for %}, minus
    the loop variables in scope. Rendering alone would only catch the printed ones."""
    found: set[str] = set()
    if isinstance(node, FilterExpression):
        var = node.var
        if isinstance(var, Variable) and var.lookups:
            found.add(var.lookups[0])
        for _, args in node.filters:
            for _, arg in args:
                if isinstance(arg, Variable) and arg.lookups:
                    found.add(arg.lookups[0])
        return found - bound
    if isinstance(node, ForNode):
        found |= _names_used(node.sequence, bound)
        inner = bound | set(node.loopvars) | {"forloop"}
        for child in [*node.nodelist_loop, *node.nodelist_empty]:
            found |= _names_used(child, frozenset(inner))
        return found
    if isinstance(node, IfNode):
        for condition, nodelist in node.conditions_nodelists:
            found |= _condition_names(condition, bound)
            for child in nodelist:
                found |= _names_used(child, bound)
        return found
    if isinstance(node, VariableNode):
        return _names_used(node.filter_expression, bound)
    for attr in getattr(node, "child_nodelists", ()):
        for child in getattr(node, attr, None) or ():
            found |= _names_used(child, bound)
    return found


def _condition_names(condition: Any, bound: frozenset[str]) -> set[str]:
    if condition is None:
        return set()
    if isinstance(condition, TemplateLiteral):
        return _names_used(condition.value, bound)
    return _condition_names(getattr(condition, "first", None), bound) | _condition_names(
        getattr(condition, "second", None), bound)


def validate_template(*, subject: str, text: str, html: str) -> None:
    """A syntax error, an unknown variable (printed or only tested in {% if %}/{% for %}) or
    any other failure against the sample context raises ``TemplateError`` here."""
    unknown: set[str] = set()
    for source in (subject, text, html):
        try:
            nodes = _text_engine.from_string(source).nodelist if source else []
        except TemplateSyntaxError as exc:
            raise TemplateError(f"Template error: {exc}") from None
        for node in nodes:
            unknown |= _names_used(node, frozenset())
    unknown -= set(SAMPLE_CONTEXT)
    if unknown:
        raise TemplateError(f"Unknown variable: {', '.join(sorted(unknown))}. Available: "
                            f"{', '.join(sorted(SAMPLE_CONTEXT))}.")
    render(subject=subject, text=text, html=html, context=SAMPLE_CONTEXT)
