from typing import Any

from django import template

from portal.texts import Texts

register = template.Library()


@register.simple_tag
def txt(texts: Texts, key: str, **values: Any) -> str:
    """A sentence of the client's catalogue with values filled in (escaped by the engine)."""
    return texts.get(key, **values)
