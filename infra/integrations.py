"""Which outside services are switched on. An integration without its settings is *off*: the
app says so (dashboard footer, `manage.py check`, `manage.py integrations`) instead of crashing
when it is first used."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Integration:
    key: str
    label: str
    enabled: bool
    detail: str
    state_when_off: str = "off"

    @property
    def state(self) -> str:
        return "on" if self.enabled else self.state_when_off


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and (
        settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_FROM_NUMBER))


def card_payments_enabled() -> bool:
    """Online card payment is offered only when a Stripe secret key is configured."""
    return bool(settings.STRIPE_SECRET_KEY)


def integrations() -> list[Integration]:
    esp = settings.ESP
    twilio_ready = twilio_configured()
    return [
        Integration("email", "Email", bool(esp),
                    f"sending through {esp} (django-anymail)" if esp else
                    "no ESP configured: mail is kept in the local store, nothing leaves "
                    "(set ESP and ANYMAIL_* to send)", state_when_off="kept locally"),
        Integration("sms", "SMS", twilio_ready,
                    "sending through Twilio" if twilio_ready else
                    "off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                    "TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER"),
        Integration("payments", "Online payment", bool(settings.STRIPE_SECRET_KEY),
                    "Stripe Checkout" if settings.STRIPE_SECRET_KEY else
                    "off: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET; clients see bank "
                    "transfer instructions only"),
    ]
