"""Rendering message templates over a restricted context of plain values.

Templates are admin-edited data, so they run in a sandboxed Django template engine: no loaders,
no tag libraries, only the tags and filters listed in ``ALLOWED_TAGS`` and ``FILTERS`` (the
ones that include files, make up text or compute arbitrary numbers are refused by name), and a
context of strings, numbers and lists of plain dicts — never model instances. An unknown
variable or a syntax error is caught when the template is saved (``validate_template``), not
at 3 a.m. when it is sent.

Every render has a budget (``LIMITS``: time and characters, per channel). It is enforced while
rendering, not measured afterwards: each node checks the deadline and each piece of text
counts against the size before the next one is made, and filters that pad or repeat text
check their width or result first — a hostile template is stopped within the budget, using
little memory, with a ``TemplateError`` that says "Too large" or "Too slow". At save,
``validate_template`` also refuses loops over anything but a list and loops nested deeper than
``MAX_LOOP_DEPTH``, and renders every ``{% if %}`` branch at once against the sample and any
real contexts it is given, so a branch the sample client never takes cannot hide the cost.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateDoesNotExist,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import (
    FilterExpression,
    Node,
    NodeList,
    Variable,
    VariableDoesNotExist,
    VariableNode,
)
from django.template.defaulttags import ForNode, IfNode, TemplateLiteral, WithNode

from core.text import ascii_digits

_MISSING = "\x00MISSING:%s\x00"

# --- The budget --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    chars: int
    seconds: float
    what: str


EMAIL_LIMITS = Limits(chars=200_000, seconds=2.0, what="an email or a letter")
SMS_LIMITS = Limits(chars=1_600, seconds=2.0, what="an SMS")
LIMITS: dict[str, Limits] = {"sms": SMS_LIMITS}  # every other channel: EMAIL_LIMITS

WIDTH_LIMIT = 200  # the widest |ljust, |center, |truncatechars, |wordwrap … a template may ask
PRECISION_LIMIT = 20  # decimal places for |floatformat
MAX_LOOP_DEPTH = 2
MAX_NESTING = 30  # tags inside tags: rendering recurses once a level


def limits_for(channel: str) -> Limits:
    return LIMITS.get(channel, EMAIL_LIMITS)


class TemplateError(ValueError):
    pass


class BudgetExceeded(TemplateError):
    """Too large, too slow or too wide: the render was stopped before it finished."""


@dataclass
class _Budget:
    limits: Limits
    deadline: float
    exhaustive: bool = False  # every {% if %} renders all its branches (the save check)
    used: int = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(
                f"Too slow: rendering took longer than {self.limits.seconds:g} s, the limit for "
                f"{self.limits.what}, and was stopped. Look for loops inside loops.")

    def charge(self, chars: int) -> None:
        self.used += chars
        if self.used > self.limits.chars:
            self.too_large()

    def too_large(self) -> None:
        raise BudgetExceeded(
            f"Too large: the message would be longer than {self.limits.chars:,} "
            f"characters, the limit for {self.limits.what}, and rendering was stopped. "
            "Look for a loop inside a loop or a filter that repeats or pads text.")


_BUDGET: ContextVar[_Budget | None] = ContextVar("settle_render_budget", default=None)


def _current_chars() -> int:
    budget = _BUDGET.get()
    return budget.limits.chars if budget else EMAIL_LIMITS.chars


class _Budgeted(Node):
    """Mixed into every node of a compiled message template (``_instrument``): checks the
    deadline before each node and charges the text of each leaf (text, variable, cycle …)
    as it is made, so a loop stops at the limit instead of after building all its output."""

    _settle_leaf = False

    def render_annotated(self, context: Context) -> Any:
        budget = _BUDGET.get()
        if budget is None:
            return super().render_annotated(context)
        budget.check_time()
        if budget.exhaustive and isinstance(self, IfNode):
            output: Any = "".join(nodelist.render(context)
                                  for _, nodelist in self.conditions_nodelists)
        else:
            output = super().render_annotated(context)
        if self._settle_leaf:
            budget.charge(len(output))
        return output


_BUDGETED_CLASSES: dict[type, type] = {}


def _instrument(nodelist: NodeList) -> None:
    for node in _walk(nodelist):
        cls = type(node)
        if cls not in _BUDGETED_CLASSES:
            _BUDGETED_CLASSES[cls] = type(cls.__name__, (_Budgeted, cls), {})
        node.__class__ = _BUDGETED_CLASSES[cls]
        cast(_Budgeted, node)._settle_leaf = not any(getattr(node, name, None)
                                                     for name in node.child_nodelists)


def _walk(nodes: Sequence[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        for name in node.child_nodelists:  # an {% if %}'s "nodelist" is all its branches
            yield from _walk(getattr(node, name, None) or ())


# --- The sandbox: tags and filters -------------------------------------------------------------

ALLOWED_TAGS = ("autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged",
                "now", "resetcycle", "spaceless", "templatetag", "verbatim", "with")
_NO_INCLUDES = "templates cannot include other templates"
# Refused by name, with the reason; any other unknown tag is Django's "Invalid block tag".
REFUSED_TAGS = {
    "include": _NO_INCLUDES, "extends": _NO_INCLUDES, "block": _NO_INCLUDES,
    "ssi": _NO_INCLUDES,
    "load": "message templates have no tag libraries to load",
    "lorem": "it makes up text",
    "widthratio": "it computes numbers of any size; use the amounts given",
    "debug": "it prints internal data",
    "url": "links come as variables, such as pay_url",
    "querystring": "a message has no page address", "csrf_token": "a message has no forms",
    "regroup": "use the lists given, such as invoices",
}
# Every Django filter but these: pprint shows internal data; make_list turns text into a list
# to loop over (loops go over lists such as invoices).
_LEFT_OUT_FILTERS = {"pprint", "make_list"}
_WIDTH_FILTERS = {"ljust", "rjust", "center", "truncatechars", "truncatechars_html",
                  "truncatewords", "truncatewords_html", "wordwrap", "urlizetrunc"}


def _refused_tag(name: str) -> Callable[[Any, Any], Node]:
    def compile_function(parser: Any, token: Any) -> Node:
        raise TemplateSyntaxError(f"The {{% {name} %}} tag is not allowed in message "
                                  f"templates: {REFUSED_TAGS[name]}.")
    return compile_function


def _check_arg(name: str, arg: Any) -> None:
    """Refuse a width, precision or format argument that would make a huge string."""
    shown = str(arg)[:20]
    if name in _WIDTH_FILTERS:
        try:
            too_wide = abs(int(arg)) > WIDTH_LIMIT
        except OverflowError:  # an infinite float
            too_wide = True
        except (TypeError, ValueError):
            return  # the filter itself ignores or refuses it
        if too_wide:
            raise BudgetExceeded(f"Too wide: |{name}:{shown} asks for more than {WIDTH_LIMIT} "
                                 f"characters, the most a message template may pad, wrap or "
                                 f"cut to.")
    elif name == "floatformat":
        digits = str(arg).rstrip("gu").lstrip("-")
        if ascii_digits(digits) and _too_big(digits, PRECISION_LIMIT):
            raise BudgetExceeded(f"Too wide: |floatformat:{shown} asks for more than "
                                 f"{PRECISION_LIMIT} decimal places, the most a message "
                                 f"template may show.")
    elif name == "stringformat" and any(_too_big(digits, WIDTH_LIMIT)
                                        for digits in re.findall(r"\d+", str(arg))):
        raise BudgetExceeded(f"Too wide: |stringformat:\"{shown}\" asks for a width or "
                             f"precision over {WIDTH_LIMIT}, the most a message template may "
                             f"pad to.")


def _too_big(digits: str, limit: int) -> bool:
    significant = digits.lstrip("0")
    return len(significant) > len(str(limit)) or int(significant or 0) > limit


def _check_value(name: str, value: Any, args: tuple[Any, ...]) -> None:
    """Refuse before a filter makes a string or list larger than the whole budget."""
    limit = _current_chars()
    if name == "floatformat":
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return
        if number.is_finite() and number and abs(number.adjusted()) > 30:
            raise BudgetExceeded("Too wide: |floatformat is given a number with more than 30 "
                                 "digits.")
    elif name == "join" and args and isinstance(args[0], str):
        items = value if isinstance(value, (list, tuple, str)) else ()
        size = len(args[0]) * max(len(items) - 1, 0) + sum(len(str(v)) for v in items)
        if size > limit:
            raise BudgetExceeded(f"Too large: |join would make {size:,} characters, more than "
                                 f"the {limit:,} a message may have.")
    elif name == "add" and args and _size(value) + _size(args[0]) > limit:
        raise BudgetExceeded(f"Too large: |add would make something longer than the "
                             f"{limit:,} characters a message may have.")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its arguments checked first and its result's size after; keeps the
    function's flags (is_safe, needs_autoescape …) and, through ``__wrapped__``, its
    signature, which Django reads to count arguments."""

    @functools.wraps(func)
    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        for arg in args:
            _check_arg(name, arg)
        _check_value(name, value, args)
        result = func(value, *args, **kwargs)
        if isinstance(result, str) and len(result) > _current_chars():
            raise BudgetExceeded(f"Too large: |{name} made more than {_current_chars():,} "
                                 "characters, the most a message may have.")
        return result

    guarded._settle_filter = name  # type: ignore[attr-defined]
    return guarded


def _sandbox_library() -> Library:
    library = Library()
    for name in ALLOWED_TAGS:
        library.tags[name] = defaulttags.register.tags[name]
    for name in REFUSED_TAGS:
        library.tags[name] = _refused_tag(name)
    for name, func in defaultfilters.register.filters.items():
        if name not in _LEFT_OUT_FILTERS:
            library.filters[name] = _guarded(name, func)
    return library


def _sandbox_engine(*, autoescape: bool) -> Engine:
    engine = Engine(loaders=[], libraries={}, autoescape=autoescape,
                    string_if_invalid=_MISSING, app_dirs=False, debug=False)
    # Only the sandbox's library: not Django's default tags, filters and loader tags.
    engine.template_builtins = [_SANDBOX]
    return engine


_SANDBOX = _sandbox_library()
_engine = _sandbox_engine(autoescape=True)
_text_engine = _sandbox_engine(autoescape=False)
FILTERS = tuple(sorted(_SANDBOX.filters))

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


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _compile(source: str, *, html: bool) -> Template | None:
    """The template, instrumented for the budget; a syntax error, a refused tag or a literal
    width beyond the limits raises ``TemplateError``."""
    if not source:
        return None
    try:
        template = (_engine if html else _text_engine).from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"Template error: {exc}") from None
    except RecursionError:
        template = None
    if template is None or _nesting(template.nodelist) > MAX_NESTING:
        raise TemplateError(f"Template error: tags are nested more than {MAX_NESTING} deep.")
    for node in _walk(template.nodelist):
        for expression in _expressions(node):
            for func, args in expression.filters:
                for is_variable, arg in args:
                    if not is_variable:
                        _check_arg(getattr(func, "_settle_filter", ""), arg)
    _instrument(template.nodelist)
    return template


def _nesting(nodes: Sequence[Node]) -> int:
    """How deep tags sit inside tags (without recursing: the parser has used the stack)."""
    deepest, stack = 0, [(node, 1) for node in nodes]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for name in node.child_nodelists
                     for child in getattr(node, name, None) or ())
    return deepest


def _run(template: Template | None, context: dict[str, Any], *, html: bool,
         budget: _Budget) -> str:
    if template is None:
        return ""
    token = _BUDGET.set(budget)
    try:
        # A copy: {% now … as x %} and {% cycle … as x %} write into the top level.
        output = template.render(Context(dict(context), autoescape=html))
    except TemplateError:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateError(f"Template error: {exc}") from None
    except TemplateDoesNotExist as exc:
        raise TemplateError(f"Templates cannot include other templates ({exc}).") from None
    except (TypeError, ValueError, AttributeError, ArithmeticError,
            VariableDoesNotExist) as exc:
        raise TemplateError(f"Template error: {exc}") from None
    finally:
        _BUDGET.reset(token)
    if len(output) > budget.limits.chars:  # a {% filter %} may have grown what was charged
        budget.too_large()
    if "\x00MISSING:" in output and not budget.exhaustive:
        names = sorted({part.split("\x00")[0] for part in output.split("\x00MISSING:")[1:]})
        unknown = [n for n in names if n] or ["(a variable)"]
        raise TemplateError(
            f"Unknown variable: {', '.join(unknown)}. Available: "
            f"{', '.join(sorted(SAMPLE_CONTEXT))}.")
    return output


def _new_budget(limits: Limits, *, exhaustive: bool = False,
                deadline: float | None = None) -> _Budget:
    return _Budget(limits=limits, exhaustive=exhaustive,
                   deadline=deadline if deadline is not None
                   else time.monotonic() + limits.seconds)


def _render_parts(subject: Template | None, text: Template | None, html: Template | None,
                  context: dict[str, Any], budget: _Budget) -> Rendered:
    return Rendered(subject=" ".join(_run(subject, context, html=False, budget=budget).split()),
                    text=_run(text, context, html=False, budget=budget).strip() + "\n"
                    if text else "",
                    html=_run(html, context, html=True, budget=budget))


def render(*, subject: str, text: str, html: str, context: dict[str, Any],
           channel: str = "") -> Rendered:
    """Render the three parts within the channel's budget (``LIMITS``; the budget is for the
    three together); raises ``TemplateError`` naming what is wrong."""
    budget = _new_budget(limits_for(channel))
    return _render_parts(_compile(subject, html=False), _compile(text, html=False),
                         _compile(html, html=True), context, budget)


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


def _expressions(value: Any) -> Iterator[FilterExpression]:
    """The filter expressions a node holds: its variable, loop sequence, {% if %} conditions,
    {% with %} values, {% cycle %} and {% firstof %} choices, {% filter %} chain."""
    if isinstance(value, FilterExpression):
        yield value
    elif isinstance(value, Node):
        for attribute in vars(value).values():
            if not isinstance(attribute, (Node, NodeList)):
                yield from _expressions(attribute)
    elif isinstance(value, (list, tuple)) and not isinstance(value, NodeList):
        for item in value:
            yield from _expressions(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions(item)
    elif isinstance(value, TemplateLiteral):
        yield from _expressions(value.value)
    elif hasattr(value, "first"):  # an {% if %} operator
        yield from _expressions(value.first)
        yield from _expressions(value.second)


# The filters that keep a list a list: a loop may go over ``invoices|dictsort:"due_date"``.
_LIST_FILTERS = {"dictsort", "dictsortreversed", "slice"}
_NOT_A_LIST = object()


def _sample_of(expression: FilterExpression, scope: dict[str, Any]) -> Any:
    """What ``expression`` is in the sample context (``_NOT_A_LIST`` when its filters may
    make it anything), to tell a loop over a list from a loop over text."""
    if any(getattr(func, "_settle_filter", "") not in _LIST_FILTERS
           for func, _ in expression.filters):
        return _NOT_A_LIST
    var = expression.var
    if not isinstance(var, Variable):
        return var
    if var.lookups is None:
        return var.literal
    value: Any = scope
    for part in var.lookups:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and ascii_digits(part) and int(part) < len(value):
            value = value[int(part)]
        else:
            return _NOT_A_LIST
    return value


def _check_loops(nodes: Sequence[Node], scope: dict[str, Any], depth: int = 0) -> None:
    """Loops go over lists (such as invoices), never over text, nested at most
    ``MAX_LOOP_DEPTH`` deep — whichever {% if %} branch they are in."""
    lists = ", ".join(sorted(k for k, v in SAMPLE_CONTEXT.items() if isinstance(v, list)))
    for node in nodes:
        if isinstance(node, ForNode):
            sequence = cast(FilterExpression, node.sequence)
            if depth + 1 > MAX_LOOP_DEPTH:
                raise TemplateError(
                    f"Loops nested too deep: {{% for {', '.join(node.loopvars)} in "
                    f"{sequence.token} %}} is loop number {depth + 1} inside each other; "
                    f"message templates allow {MAX_LOOP_DEPTH}.")
            sample = _sample_of(sequence, scope)
            if not isinstance(sample, list):
                what = ", which is text" if isinstance(sample, str) else ""
                raise TemplateError(f"A {{% for %}} loop may only go over a list ({lists}), "
                                    f"not over '{sequence.token}'{what}.")
            item = sample[0] if sample and len(node.loopvars) == 1 else None
            inner = {**scope, **dict.fromkeys(node.loopvars, item), "forloop": {}}
            _check_loops(cast(NodeList, node.nodelist_loop), inner, depth + 1)
            _check_loops(cast(NodeList, node.nodelist_empty), scope, depth)
        elif isinstance(node, WithNode):
            inner = {**scope, **{name: _sample_of(value, scope)
                                 for name, value in node.extra_context.items()}}
            _check_loops(node.nodelist, inner, depth)
        else:
            for name in node.child_nodelists:
                _check_loops(getattr(node, name, None) or (), scope, depth)


def validate_template(*, subject: str, text: str, html: str, channel: str = "",
                      contexts: Sequence[tuple[str, dict[str, Any]]] = ()) -> None:
    """A syntax error, a refused tag or filter, an unknown variable (printed or only tested in
    {% if %}/{% for %}), a loop over text or nested too deep, any other failure against the
    sample context, or going over the channel's budget with every {% if %} branch taken — for
    the sample and for each of ``contexts`` (label, context), e.g. the largest real client —
    raises ``TemplateError`` here. All of it within one budget's time."""
    limits = limits_for(channel)
    deadline = time.monotonic() + limits.seconds
    compiled = (_compile(subject, html=False), _compile(text, html=False),
                _compile(html, html=True))
    nodes = [node for template in compiled if template for node in template.nodelist]
    unknown: set[str] = set()
    for node in nodes:
        unknown |= _names_used(node, frozenset())
    unknown -= set(SAMPLE_CONTEXT)
    if unknown:
        raise TemplateError(f"Unknown variable: {', '.join(sorted(unknown))}. Available: "
                            f"{', '.join(sorted(SAMPLE_CONTEXT))}.")
    _check_loops(nodes, SAMPLE_CONTEXT)
    _render_parts(*compiled, SAMPLE_CONTEXT, _new_budget(limits, deadline=deadline))
    for label, context in [("the sample values", SAMPLE_CONTEXT), *contexts]:
        try:
            _render_parts(*compiled, context,
                          _new_budget(limits, exhaustive=True, deadline=deadline))
        except BudgetExceeded as exc:
            raise BudgetExceeded(f"{exc} (Checked with every {{% if %}} branch taken, for "
                                 f"{label}.)") from None
        except TemplateError:
            pass  # a branch that never runs for these values; the sample render checked it
