"""The seeded cadences and their message templates (English, German, French, Spanish), from
the domain articles: a friendly nudge before the due date, a reminder on the day, a polite
follow-up after a week, a firmer one offering a payment plan after two, a call for high-value
clients at three weeks, a formal letter of demand naming the next step at 30 days, collections
at 45 (``cadence``); the instalment cadence of payment plans (``instalments``).

Plain data, loaded by a data migration and editable in the admin afterwards.
"""

from __future__ import annotations

from reminders.defaults.cadence import CADENCE_TEMPLATES
from reminders.defaults.instalments import (
    INSTALMENT_CADENCE,
    INSTALMENT_STEPS,
    INSTALMENT_TEMPLATES,
)

DEFAULT_CADENCE = "Standard"

# (name, offset_days, channel, template_key, tone, actions, only_tags)
DEFAULT_STEPS: list[tuple[str, int, str, str, str, list[str], list[str]]] = [
    ("Friendly nudge", -3, "preferred", "pre_due", "friendly", ["send_message"], []),
    ("Due today", 0, "preferred", "due_today", "friendly", ["send_message"], []),
    ("Polite follow-up", 7, "preferred", "overdue_7", "friendly", ["send_message"], []),
    ("Firmer, offers a plan", 14, "preferred", "overdue_14", "firm",
     ["send_message", "apply_late_fee"], []),
    ("Call high-value clients", 21, "call", "call_21", "firm", ["create_call_task"],
     ["high-value"]),
    ("Letter of demand", 30, "letter", "demand_30", "final",
     ["send_message", "start_interest", "mark_escalated"], []),
    ("Hand to collections", 45, "call", "collections_45", "final",
     ["hand_to_collections", "create_call_task"], []),
]


# key -> language -> channel -> (subject, text, html)
TEMPLATES: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
    **CADENCE_TEMPLATES, **INSTALMENT_TEMPLATES}


def install_instalment_cadence(apps: object) -> None:
    """The instalment cadence and its templates (a later migration; idempotent)."""
    get = apps.get_model  # type: ignore[attr-defined]
    cadence_model, step_model = get("reminders", "Cadence"), get("reminders", "CadenceStep")
    cadence, created = cadence_model.objects.get_or_create(
        name=INSTALMENT_CADENCE, defaults={
            "purpose": "instalments", "priority": 1000,
            "description": "Reminders around each instalment of an accepted payment plan."})
    if created:
        for name, offset, channel, key, tone, actions, _ in INSTALMENT_STEPS:
            step_model.objects.create(cadence=cadence, name=name, offset_days=offset,
                                      channel=channel, template_key=key, tone=tone,
                                      actions=actions)
    _install_templates(apps, [k for k in TEMPLATES if k.startswith("instalment_")])


def _install_templates(apps: object, keys: list[str]) -> None:
    template_model = apps.get_model("reminders", "MessageTemplate")  # type: ignore[attr-defined]
    for key in keys:
        for language, channels in TEMPLATES[key].items():
            for channel, (subject, text, html) in channels.items():
                template_model.objects.get_or_create(
                    key=key, channel=channel, language=language,
                    defaults={"subject": subject, "text": text, "html": html})


def install_defaults(apps: object) -> None:
    """Create the default cadence and templates unless they exist (used by the migration)."""
    get = apps.get_model  # type: ignore[attr-defined]
    cadence_model, step_model = get("reminders", "Cadence"), get("reminders", "CadenceStep")
    template_model, tag_model = get("reminders", "MessageTemplate"), get("clients", "ClientTag")
    cadence, created = cadence_model.objects.get_or_create(
        name=DEFAULT_CADENCE, defaults={"is_default": True, "priority": 1000,
                                        "description": "Seeded from the domain articles."})
    # The legal flags came later (reminders.0011): a migration before it has no such fields.
    has_flags = any(f.name == "legal_notice" for f in step_model._meta.get_fields())
    if created:
        for name, offset, channel, key, tone, actions, only_tags in DEFAULT_STEPS:
            flags = legal_flags(key, actions) if has_flags else {}
            step = step_model.objects.create(cadence=cadence, name=name, offset_days=offset,
                                             channel=channel, template_key=key, tone=tone,
                                             actions=actions, **flags)
            for tag in only_tags:
                step.only_tags.add(tag_model.objects.get_or_create(name=tag)[0])
    for key, languages in TEMPLATES.items():
        for language, channels in languages.items():
            for channel, (subject, text, html) in channels.items():
                template_model.objects.get_or_create(
                    key=key, channel=channel, language=language,
                    defaults={"subject": subject, "text": text, "html": html})


def legal_flags(template_key: str, actions: list[str]) -> dict[str, bool]:
    """The seeded cadences' legal steps: a letter of demand is a legal notice; handing over to
    collections needs one first."""
    return {"legal_notice": template_key.startswith("demand"),
            "needs_notice": "hand_to_collections" in actions}


__all__ = ["DEFAULT_CADENCE", "DEFAULT_STEPS", "INSTALMENT_CADENCE", "INSTALMENT_STEPS",
           "TEMPLATES", "install_defaults", "install_instalment_cadence", "legal_flags"]
