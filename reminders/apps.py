from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from reminders.channels.email import connect_tracking
        from reminders.channels.inbound import connect_inbound

        connect_tracking()
        connect_inbound()
