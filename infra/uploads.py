"""Files people send us (a dispute's attachment): checked whole with a real parser, not by their
name or first bytes, and handed back in the form that is stored.

- **PDF** (pypdf): the document must parse, have pages whose content streams decode, end
  where a PDF ends, and carry nothing that acts on its own (JavaScript, launch, submit or
  import actions, XFA forms, rich media). Stored as sent.
- **PNG and JPEG** (Pillow): decoded in full (at most ``MAX_PIXELS``) and re-encoded, which
  drops whatever rode along — metadata, text chunks, trailing bytes — and turns the photo
  the right way up first.

The caller stores ``content`` under a name of its own with ``extension``; the client's file
name is never trusted for anything but a label.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000  # a 40-megapixel photo; a decompression bomb claims far more
MAX_PDF_OBJECTS = 200_000  # objects visited while looking for active content
# Embedded files alone are allowed: a ZUGFeRD/Factur-X e-invoice carries its XML that way, and
# nothing opens them without a launch action, which is refused.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/RichMedia", "/XFA"})
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData",
                            "/RichMediaExecute", "/Rendition"})
UNREADABLE = "Attach a PDF, PNG or JPEG file."


class UploadRefused(ValueError):
    """The file is not what it must be; the message says so in words a client understands."""


@dataclass(frozen=True)
class CheckedFile:
    extension: str  # "pdf", "png" or "jpg": the type found, never the one claimed
    content_type: str
    content: bytes  # what to store: the PDF as sent, an image re-encoded


def check_document(data: bytes) -> CheckedFile:
    """A PDF, PNG or JPEG, parsed whole; UploadRefused with the reason otherwise."""
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return CheckedFile("pdf", "application/pdf", data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return CheckedFile("png", "image/png", _reencode(data, "PNG"))
    if data.startswith(b"\xff\xd8\xff"):
        return CheckedFile("jpg", "image/jpeg", _reencode(data, "JPEG"))
    raise UploadRefused(UNREADABLE)


# --- PDF ------------------------------------------------------------------------------------

def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    end = data.rfind(b"%%EOF")
    if end < 0 or data[end + 5:].strip(b"\r\n\t \x00"):
        raise UploadRefused("The PDF is incomplete or has something else attached after its "
                            "end; save it again as a PDF and attach that.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadRefused("The PDF is protected with a password; attach a copy "
                                "without the password.")
        if not len(reader.pages):
            raise UploadRefused("The PDF has no pages.")
        for page in reader.pages:
            page.get_contents()  # decodes every content stream: a broken one raises
        _refuse_active_content(reader.trailer["/Root"])
    except UploadRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            OSError, IndexError, AssertionError, ZeroDivisionError) as exc:
        log.info("Dispute attachment refused, PDF does not parse: %r", exc)
        raise UploadRefused("The PDF cannot be read; save it again as a PDF and attach that."
                            ) from None


def _refuse_active_content(root: Any) -> None:
    """Walk every object reachable from the catalogue (each once, at most MAX_PDF_OBJECTS)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [root]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise UploadRefused("The PDF is too complex to check; attach a simpler copy "
                                "(print it to PDF, or scan it).")
        if isinstance(node, DictionaryObject):
            if ACTIVE_KEYS.intersection(node.keys()) or node.get("/S") in ACTIVE_ACTIONS:
                raise UploadRefused("The PDF contains scripts or actions; attach a plain copy "
                                    "(print it to PDF, or scan it).")
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)


# --- Images ---------------------------------------------------------------------------------

def _reencode(data: bytes, kind: str) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise UploadRefused(f"The image is {width} × {height} pixels; attach one of "
                                    f"at most {MAX_PIXELS // 1_000_000} megapixels.")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            # Only what drawing needs survives: no EXIF, text chunks, ICC or XMP.
            upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
            out = io.BytesIO()
            if kind == "JPEG":
                rgb = upright if upright.mode in ("RGB", "L") else upright.convert("RGB")
                rgb.save(out, "JPEG", quality=90)
            else:
                upright.save(out, "PNG")
            return out.getvalue()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (a warning, or an error when warnings are errors) saw it first.
        raise UploadRefused(f"The image is too large; attach one of at most "
                            f"{MAX_PIXELS // 1_000_000} megapixels.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("Dispute attachment refused, image does not decode: %r", exc)
        raise UploadRefused("The image cannot be read; attach it again as a PNG or JPEG."
                            ) from None
