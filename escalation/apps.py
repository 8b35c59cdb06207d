from django.apps import AppConfig


class EscalationConfig(AppConfig):
    """A letter of demand by hand, and handing invoices to collections with their package."""

    name = "escalation"
    verbose_name = "Escalation"
