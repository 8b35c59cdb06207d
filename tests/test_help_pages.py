"""The guides in docs/ as pages inside the app (issue 18, item 8: "docs/IMPORT.md" was plain
text on the import page): signed-in bookkeepers only, headings with a table of contents, the
rest shown as written and escaped, only the listed guides."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from infra.help import TOPICS, blocks_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookkeeper_browser(client):
    client.force_login(UserFactory(username="bea", first_name="Bea", last_name="Keeper"))
    return client


def test_the_import_page_links_to_the_import_guide(bookkeeper_browser):
    html = bookkeeper_browser.get(reverse("transfer:index")).content.decode()
    assert reverse("help", args=["import"]) == "/help/import/"
    assert '<a href="/help/import/">' in html
    assert "docs/IMPORT.md" not in html  # no longer a path to look up by hand


def test_the_import_guide_is_a_page_in_the_sites_layout(bookkeeper_browser):
    response = bookkeeper_browser.get("/help/import/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Import and export guide · Settle</title>" in html
    assert 'class="topbar"' in html  # the site's layout
    assert '<h1 id="import-and-export">Import and export</h1>' in html
    assert '<h2 id="columns">Columns</h2>' in html
    assert '<a href="#columns">Columns</a>' in html  # the table of contents
    source = (Path(settings.BASE_DIR) / "docs" / "IMPORT.md").read_text(encoding="utf-8")
    # Every line of the guide is on the page, escaped (headings as headings).
    for line in source.splitlines():
        if line.strip() and not line.startswith("#"):
            assert escape(line.strip()) in html, line
    assert '<a href="/help/api/">REST API guide</a>' in html


def test_guides_are_text_never_html_from_the_file():
    blocks = blocks_of("# Title\n\nSee <script>alert(1)</script> and **bold**.\n\n"
                       "```\n# not a heading inside a fence\n```\n## Two\n## Two\n")
    assert [(b.kind, b.text, b.anchor) for b in blocks] == [
        ("heading", "Title", "title"),
        ("text", "See <script>alert(1)</script> and **bold**.\n\n"
                 "```\n# not a heading inside a fence\n```", ""),
        ("heading", "Two", "two"), ("heading", "Two", "two-2")]


def test_what_the_page_shows_is_escaped(bookkeeper_browser, tmp_path, settings, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "IMPORT.md").write_text(
        "# Guide <b>x</b>\n\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n",
        encoding="utf-8")
    settings.BASE_DIR = tmp_path
    html = bookkeeper_browser.get("/help/import/").content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Guide &lt;b&gt;x&lt;/b&gt;" in html
    assert " style=" not in html  # nothing for the CSP to refuse


@pytest.mark.parametrize("path", ["/help/nothing/", "/help/ARCHITECTURE/", "/help/..%2f..%2fetc/",
                                  "/help/import.md/"])
def test_only_the_listed_guides_exist(bookkeeper_browser, path):
    assert bookkeeper_browser.get(path).status_code == 404


def test_a_guide_missing_from_this_copy_is_a_404(bookkeeper_browser, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    assert bookkeeper_browser.get("/help/api/").status_code == 404


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_every_guide_renders(bookkeeper_browser, topic):
    assert bookkeeper_browser.get(reverse("help", args=[topic])).status_code == 200


def test_guides_need_a_login_and_a_role(client):
    response = client.get("/help/import/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(UserFactory(role="", username="nobody"))
    assert client.get("/help/import/").status_code == 403
