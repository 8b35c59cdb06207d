"""Every download's ``Content-Disposition``, built one way.

The name a file is saved under often carries what a person typed (an invoice number, a client
reference, a client's file name): it is reduced to letters, digits and ``. - _`` (any script:
"Müller" stays, through RFC 6266's ``filename*``), and the header is Django's
``content_disposition_header``, which quotes and escapes it. No quote, semicolon, CR or LF
from the data can end the parameter or start a header of its own."""

from __future__ import annotations

import re

from django.http import HttpResponseBase
from django.utils.http import content_disposition_header

_UNSAFE = re.compile(r"[^\w.\-]+")
MAX_NAME = 120


def safe_filename(name: str, default: str = "download") -> str:
    """``name`` as a file name: runs of anything but word characters, dots and dashes become
    one dash; no leading dot or dash (no hidden file, no option); at most MAX_NAME characters,
    keeping the extension."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not _UNSAFE.sub("", extension):
        stem, extension = name, ""
    clean_ext = _UNSAFE.sub("", extension)[:10]
    clean_stem = _UNSAFE.sub("-", stem).strip("-.")[: MAX_NAME - len(clean_ext) - 1]
    clean_stem = clean_stem.strip("-.") or default
    return f"{clean_stem}.{clean_ext}" if clean_ext else clean_stem


def disposition(response: HttpResponseBase, filename: str, *, attachment: bool = True,
                default: str = "download") -> HttpResponseBase:
    """Set ``response``'s Content-Disposition (``attachment``, or ``inline`` to show a PDF in
    the browser) for ``filename`` made safe; returns the response."""
    header = content_disposition_header(attachment, safe_filename(filename, default))
    assert header is not None  # None only without a file name, and there always is one
    response["Content-Disposition"] = header
    return response
