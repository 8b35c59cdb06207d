"""How a person who uses Settle is named: one rule for every page, list, export and timeline.

The full name when the user has one ("Bea Keeper"), otherwise the username ("bookkeeper");
"" for nobody. Templates use the ``person`` filter (``{% load display %}``), which calls this.
"""

from __future__ import annotations

from typing import Any


def display_name(user: Any) -> str:
    """The one name shown for ``user`` ('' for None or an anonymous user)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return ""
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full or str(user.get_username())
