"""The render budget and the tightened sandbox: time and size per channel, enforced while
rendering (not measured afterwards); padding and width filters held to sane widths; tags that
make up text refused by name; loops only over lists, two deep; every {% if %} branch costed at
save, for the sample and for a larger real context. The hostile inputs of issue 16 end to end
(Configure page, dispatcher) are in tests/battery/test_hostile_templates.py."""

import re
import time
import tracemalloc
from dataclasses import replace

import pytest

from reminders import rendering
from reminders.models import MessageTemplate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("render_day")]

INSTRUCTIONS = rendering.SAMPLE_CONTEXT["payment_instructions"]


def _context(invoices: int = 1, **values: object) -> dict[str, object]:
    """The sample values with ``invoices`` invoice lines."""
    lines = [{**rendering.SAMPLE_INVOICE, "number": f"INV-{n:04d}"} for n in range(invoices)]
    return {**rendering.SAMPLE_CONTEXT, "invoices": lines, "invoice_count": invoices, **values}


def _render(text: str, context: dict[str, object] | None = None, *, channel: str = "",
            ) -> rendering.Rendered:
    return rendering.render(subject="", text=text, html="",
                            context=context or rendering.SAMPLE_CONTEXT, channel=channel)


# --- The seeded templates --------------------------------------------------------------------

def test_every_seeded_template_passes_its_channels_budget_in_every_language():
    templates = list(MessageTemplate.objects.all())
    assert {t.language for t in templates} == {"en", "de", "fr", "es"}
    big = [("a client with 200 open invoices", _context(200))]
    for template in templates:
        rendering.validate_template(subject=template.subject, text=template.text,
                                    html=template.html, channel=template.channel,
                                    contexts=big)


# --- Tags ------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "{% lorem %}", "{% lorem 1000000 w random %}", "{% widthratio 1 1 1000000000 %}",
    "{% debug %}", "{% url 'portal:pay' 'x' %}", "{% csrf_token %}", "{% querystring %}",
    "{% regroup invoices by due_date as days %}", "{% block body %}{% endblock %}",
    "{% ssi '/etc/passwd' %}", "{% load humanize %}",
])
def test_a_tag_that_makes_up_text_or_reaches_out_is_refused_by_name(source):
    name = source.split()[1]
    with pytest.raises(rendering.TemplateError,
                       match=rf"The \{{% {name} %\}} tag is not allowed in message templates"):
        rendering.validate_template(subject="", text=f"Hello {source}", html="")
    with pytest.raises(rendering.TemplateError, match="is not allowed"):
        _render(source)  # a template forced into the database fails at send, too


def test_the_allowed_tags_still_work():
    source = ("{% for i in invoices %}{% cycle 'odd' 'even' %} {% ifchanged %}{{ i.due_date }}"
              "{% endifchanged %};{% endfor %}{% firstof discount_amount 'none' %} "
              "{% with name=client_name %}{{ name|upper }}{% endwith %} {% templatetag "
              "openbrace %}{% verbatim %}{{ raw }}{% endverbatim %}{% filter lower %}SHOUT"
              "{% endfilter %}{% comment %}x{% endcomment %}{% spaceless %}<b> </b>"
              "{% endspaceless %}{% now 'Y' %}")
    text = _render(source, _context(2)).text
    assert text == ("odd 2 March 2026;even ;none MÜLLER BAU GMBH {{{ raw }}shout<b></b>"
                    "2026\n")


def test_filters_that_show_internals_or_turn_text_into_lists_are_gone():
    for source in ["{{ invoices|pprint }}", "{{ pay_url|make_list }}"]:
        with pytest.raises(rendering.TemplateError, match="Invalid filter"):
            rendering.validate_template(subject="", text=source, html="")


# --- Widths ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    '{{ client_name|ljust:"200000000" }}', "{{ client_name|rjust:201 }}",
    "{{ client_name|center:1e9 }}", '{{ client_name|truncatechars:"99999999999" }}',
    "{{ history_line|truncatewords:100000 }}", "{{ history_line|wordwrap:5000 }}",
    '{{ days_overdue|floatformat:"100000000" }}', '{{ days_overdue|floatformat:"-21g" }}',
    '{{ days_overdue|stringformat:"0200000000d" }}', '{{ days_overdue|stringformat:".999f" }}',
    '{{ pay_url|urlizetrunc:1000 }}',
])
def test_a_literal_width_beyond_the_limit_is_refused_at_save_and_at_send(source):
    with pytest.raises(rendering.TemplateError, match=r"Too wide: \|"):
        rendering.validate_template(subject="", text=source, html="")
    with pytest.raises(rendering.TemplateError, match="Too wide"):
        _render(source)


def test_sane_widths_pass():
    text = _render('[{{ tone|ljust:200|length }}|{{ tone|center:9 }}|{{ 2|floatformat:20 }}|'
                   '{{ days_overdue|stringformat:"05d" }}|{{ tone|stringformat:"-10s" }}]').text
    assert text == "[200| friendly|2.00000000000000000000|00014|friendly  ]\n"


def test_a_width_from_a_variable_is_checked_when_it_is_used():
    source = "{% for i in invoices %}{{ i.number|ljust:i.days_overdue }}{% endfor %}"
    rendering.validate_template(subject="", text=source, html="")  # 14 in the sample
    context = _context(1)
    context["invoices"][0]["days_overdue"] = 200_000_000  # type: ignore[index]
    tracemalloc.start()
    with pytest.raises(rendering.TemplateError,
                       match=r"Too wide: \|ljust:200000000 asks for more than 200"):
        _render(source, context)
    assert tracemalloc.get_traced_memory()[1] < 5_000_000
    tracemalloc.stop()


def test_a_number_too_long_for_floatformat_is_refused_before_it_is_expanded():
    with pytest.raises(rendering.TemplateError, match="more than 30 digits"):
        _render('{{ "1e99999999"|floatformat:2 }}')


# --- Size ------------------------------------------------------------------------------------

def test_repeated_doubling_with_add_stops_at_the_size_limit():
    source = ("{% with client_name=client_name|add:client_name %}" * 20 + "{{ client_name }}"
              + "{% endwith %}" * 20)
    tracemalloc.start()
    with pytest.raises(rendering.TemplateError, match=r"Too large: \|add would make"):
        _render(source)
    assert tracemalloc.get_traced_memory()[1] < 5_000_000
    tracemalloc.stop()


def test_join_refuses_before_building_a_string_larger_than_the_limit():
    with pytest.raises(rendering.TemplateError, match=r"Too large: \|join would make"):
        _render("{% for i in invoices %}{{ invoices|join:payment_instructions }}{% endfor %}",
                _context(3000))


def test_the_size_limit_stops_a_loop_early_and_uses_little_memory():
    source = ("{% for a in invoices %}{% for b in invoices %}{{ payment_instructions }}"
              "{% endfor %}{% endfor %}")
    context = _context(2000)  # 4 M lines of 73 characters: 292 M characters if let run
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(rendering.TemplateError) as info:
        _render(source, context)
    elapsed, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert str(info.value).startswith("Too large: the message would be longer than 200,000 "
                                      "characters, the limit for an email or a letter")
    assert elapsed < 1 and peak < 10_000_000


def test_an_sms_has_its_own_limit_of_1600_characters():
    source = "{% for i in invoices %}{{ payment_instructions }} {% endfor %}"
    assert len(_render(source, _context(30)).text) > 1600  # fine for an email
    with pytest.raises(rendering.TemplateError,
                       match="longer than 1,600 characters, the limit for an SMS"):
        _render(source, _context(30), channel="sms")
    _render(source, _context(20), channel="sms")  # 20 times 74 = 1,480 fits


def test_the_budget_covers_the_three_parts_together():
    half = "{% for i in invoices %}" + "x" * 1000 + "{% endfor %}"
    rendering.render(subject="", text=half, html="", context=_context(150))
    with pytest.raises(rendering.TemplateError, match="Too large"):
        rendering.render(subject="", text=half, html=half, context=_context(150))


def test_output_grown_by_a_filter_tag_is_counted_too():
    source = "{% filter force_escape %}{% for i in invoices %}&&&&&&&&&&{% endfor %}{% endfilter %}"
    _render(source, _context(3000))  # 30,000 characters become 150,000: within the limit
    with pytest.raises(rendering.TemplateError, match="Too large"):
        _render(source, _context(5000))


# --- Time ------------------------------------------------------------------------------------

def test_the_time_limit_stops_a_slow_render(monkeypatch):
    monkeypatch.setattr(rendering, "EMAIL_LIMITS", replace(rendering.EMAIL_LIMITS, seconds=0.1))
    source = ("{% for a in invoices %}{% for b in invoices %}{% if a.number == b.number %}"
              "{% endif %}{% endfor %}{% endfor %}")  # no output, 4 M comparisons
    started = time.monotonic()
    with pytest.raises(rendering.TemplateError,
                       match=r"Too slow: rendering took longer than 0.1 s, the limit for an "
                             r"email or a letter, and was stopped"):
        _render(source, _context(2000))
    assert time.monotonic() - started < 0.6


# --- Loops, checked at save whatever the branch ----------------------------------------------

@pytest.mark.parametrize(("source", "message"), [
    ("{% if days_overdue > 1000 %}{% for a in pay_url %}{{ a }}{% endfor %}{% endif %}",
     "may only go over a list (invoices), not over 'pay_url', which is text"),
    ("{% for c in client_name|upper %}{% endfor %}", "not over 'client_name|upper'"),
    ("{% with invoices=pay_url %}{% for c in invoices %}{% endfor %}{% endwith %}",
     "not over 'invoices', which is text"),
    ("{% for i in invoices %}{% for c in i.number %}{% endfor %}{% endfor %}",
     "not over 'i.number', which is text"),
    ("{% for a in invoices %}{% for b in invoices %}{% if tone %}{% for c in invoices %}"
     "{% endfor %}{% endif %}{% endfor %}{% endfor %}", "Loops nested too deep"),
])
def test_loops_over_text_or_nested_too_deep_are_refused_at_save(source, message):
    with pytest.raises(rendering.TemplateError, match=re.escape(message)):
        rendering.validate_template(subject="", text=source, html="")


def test_loops_over_sorted_or_sliced_invoices_two_deep_are_fine():
    rendering.validate_template(subject="", html="", text=(
        '{% for i in invoices|dictsort:"due_date" %}{% for j in invoices|slice:":3" %}'
        "{{ i.number }}{{ j.number }}{% endfor %}{% empty %}none{% endfor %}"))


def test_a_costly_branch_the_sample_never_takes_is_costed_at_save():
    source = ("{% if invoice_count > 50 %}{% for a in invoices %}{% for b in invoices %}"
              "{{ payment_instructions }}{% endfor %}{% endfor %}{% else %}Hello{% endif %}")
    assert _render(source).text == "Hello\n"
    rendering.validate_template(subject="", text=source, html="")  # one sample invoice
    with pytest.raises(rendering.TemplateError) as info:
        rendering.validate_template(subject="", text=source, html="", contexts=[
            ("Big Client, the client with the most open invoices (60)", _context(60))])
    assert str(info.value).startswith("Too large: ")
    assert str(info.value).endswith("(Checked with every {% if %} branch taken, for Big "
                                    "Client, the client with the most open invoices (60).)")


@pytest.mark.parametrize("levels", [31, 300, 5000])
def test_tags_nested_too_deep_are_refused_not_a_recursion_error(levels):
    source = "{% if tone %}" * levels + "x" + "{% endif %}" * levels
    for check in (lambda: rendering.validate_template(subject="", text=source, html=""),
                  lambda: _render(source)):
        with pytest.raises(rendering.TemplateError, match="tags are nested more than 30 deep"):
            check()
    _render("{% if tone %}" * 29 + "x" + "{% endif %}" * 29)


def test_the_sample_values_cannot_be_changed_by_a_template():
    before = dict(rendering.SAMPLE_CONTEXT)
    rendering.validate_template(subject="", html="",
                                text="{% now 'Y' as pay_url %}{% cycle 'a' as tone %}")
    assert before == rendering.SAMPLE_CONTEXT
