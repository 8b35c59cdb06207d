"""The Content-Security-Policy allows no inline styles. Emails are the exception the pages must
show: their HTML carries ``style`` attributes and ``<style>`` blocks, and a preview in an
``<iframe srcdoc>`` inherits the page's policy. For exactly those styles, the page's policy
lists their SHA-256 hashes (with 'unsafe-hashes' for attributes): a style the server did not
put there still does not apply, and nothing can run (the frames are sandboxed, scripts stay
'self' only)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import TypeVar

from django.http import HttpResponseBase


class _Styles(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()
        self.attributes = False
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "style" and value is not None:
                self.found.add(value)
                self.attributes = True
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.add(data)


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def style_sources(htmls: Iterable[str]) -> list[str]:
    """The style-src entries that let exactly these documents' inline styles apply."""
    sources: set[str] = set()
    attributes = False
    for html in htmls:
        if not html:
            continue
        parser = _Styles()
        parser.feed(html)
        parser.close()
        sources |= {_digest(text) for text in parser.found}
        attributes |= parser.attributes
    return (["'unsafe-hashes'"] if attributes else []) + sorted(sources)


_Response = TypeVar("_Response", bound=HttpResponseBase)


def allow_styles_of(response: _Response, htmls: Iterable[str]) -> _Response:
    """Add the hashes of these email documents' inline styles to the response's policy."""
    sources = style_sources(htmls)
    if sources:
        update = dict(getattr(response, "_csp_update", None) or {})
        update["style-src"] = [*update.get("style-src", []), *sources]
        response._csp_update = update  # type: ignore[attr-defined]
    return response
