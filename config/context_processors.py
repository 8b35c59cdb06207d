from django.http import HttpRequest

from config.integrations import integrations as _integrations


def integrations(request: HttpRequest) -> dict[str, object]:
    return {"integrations": _integrations()}


def roles(request: HttpRequest) -> dict[str, object]:
    from config.roles import is_admin, is_bookkeeper

    user = getattr(request, "user", None)
    return {"is_admin": is_admin(user), "is_bookkeeper": is_bookkeeper(user)}
