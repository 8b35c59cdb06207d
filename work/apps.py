from django.apps import AppConfig


class WorkConfig(AppConfig):
    """Work for people: call tasks and their outcomes, call-back requests, the print queue."""

    name = "work"
    verbose_name = "Work for people"
