from django.http import HttpRequest

from infra.integrations import integrations as _integrations


def integrations(request: HttpRequest) -> dict[str, object]:
    return {"integrations": _integrations()}


def roles(request: HttpRequest) -> dict[str, object]:
    from infra.roles import is_admin, is_bookkeeper

    user = getattr(request, "user", None)
    return {"is_admin": is_admin(user), "is_bookkeeper": is_bookkeeper(user)}


def payment_feed(request: HttpRequest) -> dict[str, object]:
    """For bookkeepers: a banner on every page while reminders wait for fresh payment data."""
    from infra.roles import is_bookkeeper

    if not is_bookkeeper(getattr(request, "user", None)):
        return {}
    from django.utils import timezone

    from reminders.selectors import payment_feed_hold

    return {"payment_hold": payment_feed_hold(now=timezone.now())}
