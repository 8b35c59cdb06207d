from django.apps import AppConfig


class AnswersConfig(AppConfig):
    """The client's side: pay-now links and settings, promises, plans, disputes, preferences."""

    name = "answers"
    verbose_name = "Client answers"
