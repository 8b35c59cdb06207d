"""System checks. Deployment checks (``manage.py check --deploy``, run by ``make prod-migrate``):
settings that work on a laptop but are unsafe with several web workers or an ESP on the internet.
Every ``manage.py check``: the configured ESP exists, has its credentials and its extra."""

from __future__ import annotations

import difflib
import importlib.util
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks

# Caches whose contents live in one process: each gunicorn worker would count rate limits on
# its own (N workers let N times the limit through), or not at all (dummy).
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its counters in each process's "
                                                     "memory",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing, so nothing is ever limited",
}
# Shared, but incremented by read-then-write: concurrent requests can undercount.
NON_ATOMIC_CACHES = ("django.core.cache.backends.db.DatabaseCache",
                     "django.core.cache.backends.filebased.FileBasedCache")


@checks.register(checks.Tags.security, checks.Tags.caches, deploy=True)
def check_shared_rate_limit_cache(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [checks.Error(
            f"The '{alias}' cache ({backend}) {PROCESS_LOCAL_CACHES[backend]}: the pay-now "
            "pages' rate limits would be per web worker, not per installation.",
            hint="Set CACHE_URL to a Redis shared by every web worker, e.g. "
                 "CACHE_URL=redis://localhost:6379/1 (docker-compose sets it).",
            id="settle.E001")]
    if backend in NON_ATOMIC_CACHES:
        return [checks.Warning(
            f"The '{alias}' cache ({backend}) is shared but does not increment atomically: "
            "concurrent requests can undercount the rate limits.",
            hint="Set CACHE_URL to a Redis, e.g. CACHE_URL=redis://localhost:6379/1.",
            id="settle.W001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_email_webhook_secret(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    esp = getattr(settings, "ESP", "") or ""
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if not (esp or backend.startswith("anymail.")):
        return []
    if (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        return []
    return [checks.Error(
        f"An ESP is configured ({esp or backend}) but ANYMAIL_WEBHOOK_SECRET is not set: the "
        "e-mail tracking webhook refuses every event, so bounces, deliveries and complaints "
        "are never recorded.",
        hint="Set ANYMAIL_WEBHOOK_SECRET=user:long-random-password and give the ESP the "
             "webhook URL https://user:long-random-password@<your host>/anymail/<esp>/tracking/.",
        id="settle.E002")]


# --- The ESP: a name anymail knows, its credentials, the extra it needs ----------------------


@dataclass(frozen=True)
class Esp:
    """What ``ESP=<name>`` needs. ``settings`` are anymail's setting names (given as
    ``ANYMAIL_<NAME>`` in the environment); ``webhook`` are those the tracking webhook needs
    (without them every event answers 500 or is refused, so bounces go unrecorded)."""

    label: str
    settings: tuple[str, ...] = ()
    webhook: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # importable modules beyond the base install
    extra: str = ""  # pip install "settle[<extra>]"
    note: str = ""


# The ESPs anymail supports and Settle accepts (README's ESP table lists the same).
ESPS: dict[str, Esp] = {
    "amazon_ses": Esp("Amazon SES", packages=("boto3",), extra="ses",
                      note="AWS credentials and region come from boto3's usual sources "
                           "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION or an "
                           "instance role)"),
    "brevo": Esp("Brevo", settings=("BREVO_API_KEY",)),
    "mailersend": Esp("MailerSend", settings=("MAILERSEND_API_TOKEN",),
                      webhook=("MAILERSEND_SIGNING_SECRET",)),
    "mailgun": Esp("Mailgun", settings=("MAILGUN_API_KEY",),
                   webhook=("MAILGUN_WEBHOOK_SIGNING_KEY",)),
    "mailjet": Esp("Mailjet", settings=("MAILJET_API_KEY", "MAILJET_SECRET_KEY")),
    "mailtrap": Esp("Mailtrap", settings=("MAILTRAP_API_TOKEN",)),
    "mandrill": Esp("Mandrill", settings=("MANDRILL_API_KEY",),
                    webhook=("MANDRILL_WEBHOOK_KEY",)),
    "postal": Esp("Postal", settings=("POSTAL_API_KEY", "POSTAL_API_URL"),
                  webhook=("POSTAL_WEBHOOK_KEY",), packages=("cryptography",), extra="postal"),
    "postmark": Esp("Postmark", settings=("POSTMARK_SERVER_TOKEN",)),
    "resend": Esp("Resend", settings=("RESEND_API_KEY",), packages=("svix",), extra="resend"),
    "scaleway": Esp("Scaleway TEM", settings=("SCALEWAY_SECRET_KEY", "SCALEWAY_PROJECT_ID"),
                    note="Scaleway has no tracking webhook: bounces are not reported"),
    "sendgrid": Esp("SendGrid", settings=("SENDGRID_API_KEY",)),
    "sparkpost": Esp("SparkPost", settings=("SPARKPOST_API_KEY",)),
    "unisender_go": Esp("Unisender Go", settings=("UNISENDER_GO_API_KEY",
                                                  "UNISENDER_GO_API_URL")),
}
# Old names anymail still accepts (with a deprecation warning).
ESP_RENAMED = {"sendinblue": "brevo"}


def anymail_setting(name: str) -> Any:
    """Where anymail looks for a setting: ``ANYMAIL["NAME"]`` (what Settle builds from the
    ``ANYMAIL_*`` environment variables), then ``ANYMAIL_NAME``, then a bare ``NAME``."""
    configured = getattr(settings, "ANYMAIL", None) or {}
    if configured.get(name):
        return configured[name]
    return getattr(settings, f"ANYMAIL_{name}", None) or getattr(settings, name, None)


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@checks.register(checks.Tags.compatibility)
def check_esp(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """``ESP`` names an ESP anymail has, with its credentials and its extra installed (every
    ``manage.py check``, ``runserver`` and ``migrate``: a typo would otherwise fail each send)."""
    esp = (getattr(settings, "ESP", "") or "").strip().lower()
    if not esp:
        return []
    if esp in ESP_RENAMED:
        problems: list[Any] = [checks.Warning(
            f"ESP={esp} is the old name of {ESP_RENAMED[esp]}.",
            hint=f"Set ESP={ESP_RENAMED[esp]} (and rename ANYMAIL_{esp.upper()}_* to "
                 f"ANYMAIL_{ESP_RENAMED[esp].upper()}_*).", id="settle.W003")]
        spec = Esp(ESPS[ESP_RENAMED[esp]].label,
                   settings=tuple(n.replace(ESP_RENAMED[esp].upper(), esp.upper())
                                  for n in ESPS[ESP_RENAMED[esp]].settings))
    elif esp in ESPS:
        problems, spec = [], ESPS[esp]
    else:
        close = difflib.get_close_matches(esp, ESPS, n=1)
        return [checks.Error(
            f"ESP={esp} is not an e-mail provider Settle knows: no reminder could be sent.",
            hint=(f"Did you mean ESP={close[0]}? " if close else "")
                 + "Known: " + ", ".join(sorted(ESPS)) + " (or leave ESP empty to keep mail "
                 "in var/sent-mail).", id="settle.E003")]
    missing = [name for name in spec.settings if not anymail_setting(name)]
    if missing:
        problems.append(checks.Error(
            f"ESP={esp} but {spec.label}'s credentials are not set: "
            f"{', '.join(missing)}.",
            hint="Set " + ", ".join(f"ANYMAIL_{name}" for name in missing)
                 + " in the environment.", id="settle.E004"))
    missing = [name for name in spec.webhook if not anymail_setting(name)]
    if missing:
        problems.append(checks.Error(
            f"ESP={esp} but {', '.join(missing)} is not set: {spec.label}'s tracking webhook "
            "cannot verify its events, so bounces and complaints would go unrecorded.",
            hint="Set " + ", ".join(f"ANYMAIL_{name}" for name in missing)
                 + f" to the signing key from {spec.label}'s webhook settings.",
            id="settle.E005"))
    absent = [module for module in spec.packages if not importable(module)]
    if absent:
        problems.append(checks.Error(
            f"ESP={esp} needs the Python package {', '.join(absent)}, which is not installed.",
            hint=f'pip install "settle[{spec.extra}]" (the Docker image and '
                 "requirements.lock include it).", id="settle.E006"))
    return problems
