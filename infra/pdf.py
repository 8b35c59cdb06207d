"""Printed documents as PDF: the one module that imports WeasyPrint.

Shared by the reminder letters (``reminders.letters``) and the invoices and statements of
account (``receivables.documents``). It lives in ``config`` because both need it and the
domain layers forbid receivables from importing reminders: paper size by country, the sender
and recipient address blocks, and rendering that fetches nothing but the app's own static
files and ``data:`` URIs. A letter body is admin-edited, and a PDF renderer that followed any
URL would read local files or cloud metadata endpoints for whoever edits it.
"""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import DataHandler, Request

from babel import Locale
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint import HTML, Document
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Countries whose offices use US Letter (ANSI A); everyone else uses A4.
LETTER_PAPER_COUNTRIES = frozenset({
    "US", "CA", "MX", "PH", "CL", "CO", "VE", "CR", "GT", "DO", "PA", "PR", "SV", "NI", "HN",
    "GU", "VI", "AS", "MP", "UM"})

# Address layouts: the locality line(s) after the street, by country.
_CITY_REGION_POSTCODE = frozenset({"US", "CA", "PR", "GU", "VI", "AS", "MP"})
_CITY_THEN_POSTCODE = frozenset({"GB", "IM", "JE", "GG"})


class PdfRenderError(RuntimeError):
    """A document could not be rendered (e.g. its own stylesheet is missing): never print
    or send it."""


class PdfResourceRefused(ValueError):
    """A document asked for something other than the app's static files or a data: URI."""


class PdfResourceMissing(FatalURLFetchingError):
    """A static file a document needs does not exist. Fatal (WeasyPrint lets only this kind
    through): a letter without its stylesheet would put the address outside the window."""


def paper_for(country: str) -> str:
    return "Letter" if (country or "").strip().upper() in LETTER_PAPER_COUNTRIES else "A4"


# --- URL fetching: the app's static files and data: URIs, nothing else -----------------------

def base_url() -> str:
    return settings.SITE_URL.rstrip("/") + "/"


def static_base() -> tuple[str, str, str]:
    """(scheme, host[:port], path) of the static files: ('https', 'settle.example', '/static/')."""
    parts = urlsplit(urljoin(base_url(), settings.STATIC_URL))
    return parts.scheme.lower(), parts.netloc.lower(), parts.path


def _foreign_host_reason(host: str) -> str:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "localhost is never fetched" if host == "localhost" else f"{host} is another host"
    if address.is_loopback or address.is_private or address.is_link_local or address.is_reserved:
        return f"{host} is a private, loopback or link-local address"
    return f"{host} is another host"


def _static_name(url: str) -> str:
    """The static file name ``url`` stands for, or ``PdfResourceRefused`` saying why not."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    static_scheme, static_host, static_path = static_base()
    if scheme not in ("", "http", "https"):
        raise PdfResourceRefused(f"{scheme}: URLs are not allowed in printed documents")
    if (scheme or parts.netloc) and parts.netloc.lower() != static_host:
        raise PdfResourceRefused(
            f"{_foreign_host_reason(parts.hostname or '')}; printed documents may only use "
            f"{static_scheme}://{static_host}{static_path}")
    path = unquote(parts.path)
    if not path.startswith(static_path):
        raise PdfResourceRefused(f"{parts.path} is outside {static_path}")
    name = path[len(static_path):]
    if not name or "\\" in name or "\x00" in name or any(
            segment in ("", ".", "..") for segment in name.split("/")):
        raise PdfResourceRefused(f"{parts.path} is not a plain static file path")
    return name


def static_file(name: str) -> Path:
    """The file on disk behind static file ``name`` (found by the staticfiles finders)."""
    found = finders.find(name)
    if not found:  # a hashed name from a manifest storage ({% static %} in production)
        hashed = getattr(staticfiles_storage, "hashed_files", None) or {}
        original = next((key for key, value in hashed.items() if value == name), None)
        found = finders.find(original) if original else None
    if not found:
        raise PdfResourceMissing(f"Static file {name} not found")
    return Path(found)


def _fetch(url: str, open_static: Callable[[str], Path]) -> URLFetcherResponse:
    if url[:5].lower() == "data:":
        # Decoded in memory by urllib's data: handler; no other scheme reaches this line.
        with DataHandler().data_open(Request(url)) as response:  # noqa: S310
            return URLFetcherResponse(url, response.read(),
                                      {"Content-Type": response.headers["Content-Type"]})
    name = _static_name(url)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return URLFetcherResponse(url, open_static(name).read_bytes(),
                              {"Content-Type": content_type})


class StaticFilesOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher interface (v66+: a ``URLFetcher`` with a ``fetch`` method), serving
    only ``data:`` URIs and files under STATIC_URL, read from disk through the staticfiles
    finders: no request ever leaves the process. A refusal raises (WeasyPrint then leaves the
    resource out) and is logged at WARNING on the caller's ``log`` (WeasyPrint's own log may be
    muted, and whoever reads the log should see which kind of document asked).
    ``open_static`` maps a static name to its file (``static_file`` unless given)."""

    def __init__(self, *, log: logging.Logger = logger,
                 open_static: Callable[[str], Path] = static_file) -> None:
        # No protocol allowed for the inherited urllib opener, should anything reach it.
        super().__init__(allowed_protocols=(), fail_on_errors=False)
        self._log = log
        self._open_static = open_static

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            return _fetch(url, self._open_static)
        except PdfResourceRefused as exc:
            self._log.warning("PDF rendering refused to fetch %s: %s", url[:200], exc)
            raise
        except PdfResourceMissing as exc:
            self._log.error("PDF rendering cannot find %s: %s", url[:200], exc)
            raise


def render_document(html: str, *, url_fetcher: URLFetcher) -> Document:
    """Lay out ``html`` (pages can then be joined with other documents' pages)."""
    try:
        return HTML(string=html, base_url=base_url(), url_fetcher=url_fetcher).render()
    except FatalURLFetchingError as exc:
        raise PdfRenderError(f"The document could not be rendered: {exc}") from exc


def render_pdf(html: str, *, url_fetcher: URLFetcher) -> bytes:
    """One document as PDF (fonts subset, so a two-page document stays well under 100 KB)."""
    return render_document(html, url_fetcher=url_fetcher).write_pdf()


# --- Address blocks ----------------------------------------------------------------------------

class PostalAddressee(Protocol):
    """What an address block needs (a ``clients.Client`` has it). Read only: the name is a
    property of the client."""

    @property
    def name_on_letters(self) -> str: ...
    @property
    def contact_name(self) -> str: ...
    @property
    def address_line1(self) -> str: ...
    @property
    def address_line2(self) -> str: ...
    @property
    def postcode(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def country(self) -> str: ...


def _locality_lines(to: PostalAddressee) -> list[str]:
    country, city, region, postcode = to.country.upper(), to.city, to.region, to.postcode
    if country in _CITY_REGION_POSTCODE:
        place = ", ".join(part for part in (city, " ".join(filter(None, (region, postcode))))
                          if part)
        return [place] if place else []
    if country in _CITY_THEN_POSTCODE:  # Royal Mail: post town, then the postcode alone
        return [line for line in (city.upper(), postcode.upper()) if line]
    place = " ".join(part for part in (postcode, city) if part)
    return [place] if place else []


def address_lines(to: PostalAddressee, language: str) -> list[str]:
    """The recipient block as the destination's post expects it; the country is added (last,
    in capitals, named in ``language``) only for mail abroad, as the UPU asks."""
    lines = [to.name_on_letters, to.contact_name, to.address_line1, to.address_line2,
             *_locality_lines(to)]
    if to.country.upper() != settings.SETTLE_DEFAULT_COUNTRY.upper():
        name = Locale.parse(language).territories.get(to.country.upper(), to.country)
        lines.append(name.upper())
    return [line.strip() for line in lines if line and line.strip()]
