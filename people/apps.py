from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and their settings"

    def ready(self) -> None:
        from people import signals  # noqa: F401 (connects the login receiver)
