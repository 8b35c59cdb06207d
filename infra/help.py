"""The project's guides (docs/*.md) as pages inside the app, for signed-in bookkeepers: the
import guide the import page points to, the API and e-mail guides.

Python-Markdown is not a dependency, so nothing is rendered as HTML from the file: headings
become headings (with anchors and a table of contents), everything else is shown as written,
preformatted, and the template escapes every character. A topic is a fixed name mapped to a
fixed file: no path from the request ever reaches the file system."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from infra.roles import bookkeeper_required

# topic in the URL -> (file under docs/, title)
TOPICS: dict[str, tuple[str, str]] = {
    "import": ("IMPORT.md", "Import and export guide"),
    "api": ("API.md", "REST API guide"),
    "email": ("EMAIL.md", "E-mail delivery guide"),
}

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" or "text"
    text: str
    level: int = 0  # 1-4 for a heading
    anchor: str = ""


def docs_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs"


def blocks_of(source: str) -> list[Block]:
    """The document as headings and the text between them (code fences kept as written; a
    '#' inside a fence is not a heading)."""
    blocks: list[Block] = []
    lines: list[str] = []
    seen: dict[str, int] = {}
    fenced = False

    def flush() -> None:
        text = "\n".join(lines).strip("\n")
        if text.strip():
            blocks.append(Block("text", text))
        lines.clear()

    for line in source.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        flush()
        title = match.group(2).replace("**", "").replace("`", "")
        anchor = slugify(title) or "section"
        seen[anchor] = seen.get(anchor, 0) + 1
        if seen[anchor] > 1:
            anchor = f"{anchor}-{seen[anchor]}"
        blocks.append(Block("heading", title, len(match.group(1)), anchor))
    flush()
    return blocks


@bookkeeper_required
@require_GET
def help_page(request: HttpRequest, topic: str) -> HttpResponse:
    if topic not in TOPICS:
        raise Http404("No such guide.")
    filename, title = TOPICS[topic]
    try:
        source = (docs_dir() / filename).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Http404("This guide is not installed with this copy of Settle.") from None
    blocks = blocks_of(source)
    # The guide's own title heads the page, above its table of contents.
    if blocks and blocks[0].kind == "heading" and blocks[0].level == 1:
        heading = blocks.pop(0)
    else:
        heading = Block("heading", title, 1, slugify(title))
    contents = [b for b in blocks if b.kind == "heading" and b.level in (2, 3)]
    others = [(key, name) for key, (_, name) in TOPICS.items() if key != topic]
    return render(request, "help/page.html", {"title": title, "heading": heading,
                                              "blocks": blocks, "contents": contents,
                                              "topic": topic, "others": others,
                                              "source_name": filename})
