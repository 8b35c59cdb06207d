"""``{% load display %}``: the one way a page names a user and shows a time about a client.

* ``{{ task.assigned_to|person }}`` — "Bea Keeper" (full name), else the username; "" for
  nobody (``|default:"—"`` then);
* ``{% client_time task.due_at task.client %}`` — "Tue 17 Mar 10:30 Europe/Berlin": the time in
  the client's zone (a client or a zone name), the zone named; an optional third argument is a
  Django date format (``"Y-m-d H:i"`` in the worklist's columns). Times about the bookkeeper's
  own work need nothing: ``|date`` shows them in the zone the user chose (people.middleware).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from infra.names import display_name
from people.times import abbreviation, in_zone

register = template.Library()


@register.filter
def person(user: Any) -> str:
    return display_name(user)


@register.simple_tag
def client_time(value: datetime | None, where: Any, fmt: str = "") -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    text, zone = in_zone(value, where, fmt)
    return format_html('{} <span class="tz" title="{}">{}</span>', text,
                       abbreviation(value, where), zone)
