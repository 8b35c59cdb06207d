from django.apps import AppConfig


class ConfigureConfig(AppConfig):
    name = "configure"
