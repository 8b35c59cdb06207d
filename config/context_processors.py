from django.http import HttpRequest

from config.integrations import integrations as _integrations


def integrations(request: HttpRequest) -> dict[str, object]:
    return {"integrations": _integrations()}
