"""Two roles, as Django groups: **Bookkeeper** works the receivables (dashboard, worklist,
client pages, tasks, print queue); **Admin** also configures (cadences, templates, terms,
pay-now settings, users). Superusers are admins. Every view says which role it needs with one
of the decorators below, and the permission-matrix test fails for a URL that says nothing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

ADMIN = "Admin"
BOOKKEEPER = "Bookkeeper"


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind ``bookkeeper_required`` or ``admin_required`` receives:
    ``login_required`` lets only a signed-in user through, so ``user`` is never anonymous.
    For annotations only; Django still passes a plain ``HttpRequest``."""

    user: User


def _groups(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_settle_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._settle_groups = cached
    return cached


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or ADMIN in _groups(user)


def is_bookkeeper(user: Any) -> bool:
    return is_admin(user) or BOOKKEEPER in _groups(user)


# Any response: pages render HttpResponse, exports stream (StreamingHttpResponse, FileResponse).
View = Callable[..., HttpResponseBase]


def _requires(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @functools.wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not check(request.user):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)
        wrapper.settle_role = check.__name__  # type: ignore[attr-defined]
        return wrapper
    return decorator


bookkeeper_required = _requires(is_bookkeeper)
admin_required = _requires(is_admin)


def ensure_groups() -> tuple[Group, Group]:
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    bookkeeper, _ = Group.objects.get_or_create(name=BOOKKEEPER)
    return admin, bookkeeper
