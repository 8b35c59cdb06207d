"""Letter (and invoice/statement) rendering cannot reach file:// or internal addresses.

Real HTML goes through the real functions
(``reminders.channels.letter.letter_html`` + ``render_pdf``, which the letter channel calls on
an admin-edited template's output, and ``infra.pdf`` with the fetcher invoices and
statements use) and WeasyPrint. Loopback sockets are ALLOWED for these tests and a local HTTP
server records every request it gets: it must get none. Every
``connect`` and DNS lookup made while rendering is recorded too: there must be none, so the
refusal happens before any socket is touched (internal addresses such as 169.254.169.254 or
10.x, which no test can serve, are refused just the same). A canary file on disk must not leak
into the PDF's text or attachments.
"""

from __future__ import annotations

import logging
import secrets
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import override_settings

from infra import pdf
from receivables import services
from receivables.documents import render as documents
from reminders.channels import letter as letters
from tests.factories import ClientFactory, TermsFactory

pytestmark = [pytest.mark.django_db, pytest.mark.enable_socket]


class Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _any(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        body = b"SERVED-BY-THE-RECORDER"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _any

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    # The server answers (so "it got no request" below means something).
    with urllib.request.urlopen(f"{base}/alive", timeout=5) as response:
        assert response.read() == b"SERVED-BY-THE-RECORDER"
    assert Recorder.hits == ["GET /alive"]
    Recorder.hits.clear()
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture
def sockets_watched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every outgoing connect and DNS lookup in this process from now on (loopback ones go
    through, so a fetch that slipped past the fetcher would reach the recorder)."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> Any:
        attempts.append(f"connect {address}")
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError("test: only loopback may be connected to")
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        attempts.append(f"connect_ex {address}")
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(f"getaddrinfo {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


@pytest.fixture
def canary(tmp_path: Path) -> tuple[Path, str]:
    secret = f"CANARY-{secrets.token_hex(8)}"
    path = tmp_path / "secret.txt"
    path.write_text(f"{secret}\n")
    (tmp_path / "secret.css").write_text(f'body::before {{ content: "{secret}"; }}')
    return path, secret


def hostile_urls(server: str, canary_path: Path) -> dict[str, str]:
    """What an admin-edited letter body might point at, by what it tries."""
    css = canary_path.with_suffix(".css")
    return {
        "file:// image": f"file://{canary_path}",
        "file:// stylesheet": f"file://{css}",
        "loopback server": f"{server}/loopback.png",
        "loopback redirect to file://": f"{server}/redirect",
        "localhost by name": f"http://localhost:{server.rsplit(':', 1)[1]}/by-name.css",
        "IPv6 loopback": f"http://[::1]:{server.rsplit(':', 1)[1]}/v6.css",
        "cloud metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "private network": "http://10.0.0.5/internal.css",
        "internal DNS name": "http://metadata.google.internal/computeMetadata/v1/",
        "userinfo trick": f"http://settle.example@{server.removeprefix('http://')}/userinfo.css",
        "attachment": f"file://{canary_path}?attachment",
    }


def hostile_body(server: str, canary_path: Path) -> str:
    urls = hostile_urls(server, canary_path)
    # data: tricks: a data: stylesheet and a data: SVG whose own references point outwards.
    data_css = "data:text/css," + quote(f'@import url("{server}/from-data-css.css");'
                                        f'p {{ background: url("file://{canary_path}"); }}')
    data_svg = "data:image/svg+xml," + quote(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{server}/from-data-svg.png" '
        f'width="10" height="10"/><image href="file://{canary_path}" width="5" height="5"/>'
        f"</svg>")
    return (
        "<p>Dear customer, please pay.</p>"
        f'<img src="{urls["file:// image"]}">'
        f'<img src="{urls["loopback server"]}">'
        f'<img src="{urls["loopback redirect to file://"]}">'
        f'<img src="{urls["cloud metadata"]}">'
        f'<object data="{urls["internal DNS name"]}" type="image/png"></object>'
        f'<embed src="{urls["private network"]}" type="image/png">'
        f'<link rel="stylesheet" href="{urls["file:// stylesheet"]}">'
        f'<link rel="stylesheet" href="{urls["localhost by name"]}">'
        f'<link rel="attachment" href="{urls["attachment"]}" title="secret">'
        f'<a rel="attachment" href="{urls["userinfo trick"]}">x</a>'
        f'<style>@import url("{urls["IPv6 loopback"]}");'
        f'@font-face {{ font-family: X; src: url("{server}/font.woff"); }}'
        f'.bg {{ background-image: url("{server}/bg.png"); }}'
        f'li {{ list-style-image: url("file://{canary_path}?list"); }}'
        f'h2::after {{ content: url("{server}/content.png"); }}</style>'
        f'<link rel="stylesheet" href="{data_css}">'
        f'<img src="{data_svg}">'
        f'<h2 style="background: url(&quot;{server}/inline-style.png&quot;)">Open invoices</h2>'
        '<div class="bg">Thank you.</div><ul><li>one</li></ul>'
    )


def pdf_text(document: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(document)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def attachments(document: bytes, tmp_path: Path) -> str:
    path = tmp_path / "att.pdf"
    path.write_bytes(document)
    return subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, check=True,
                          text=True).stdout


def refused(caplog: Any) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if "refused to fetch" in
                     r.getMessage())


def assert_nothing_reached(document: bytes, secret: str, tmp_path: Path, attempts: list[str],
                           log: str, expected_refusals: list[str]) -> None:
    assert Recorder.hits == [], f"the renderer reached the server: {Recorder.hits}"
    assert attempts == [], f"sockets were touched while rendering: {attempts}"
    text = pdf_text(document, tmp_path)
    assert secret not in text and secret.encode() not in document
    assert "SERVED-BY-THE-RECORDER" not in text
    assert "0 embedded files" in attachments(document, tmp_path)
    assert b"/EmbeddedFile" not in document
    missing = [url for url in expected_refusals if url not in log]
    assert not missing, f"not refused (or not logged): {missing}"


def test_a_hostile_letter_body_reaches_nothing(recorder, sockets_watched, canary, tmp_path,
                                               caplog, battery):
    canary_path, secret = canary
    customer = ClientFactory(country="DE", language="en")
    invoice = services.invoice_create(
        client=customer, number="INV-SSRF", issue_date=date(2026, 1, 1),
        terms=TermsFactory(name="Net 30 plain", net_days=30),
        lines=[services.LineInput("Work", "100.00")])
    urls = hostile_urls(recorder, canary_path)
    battery.tried("a letter body (admin-edited template output) pointing at: "
                  + ", ".join(urls) + "; plus data: CSS/SVG that reference the server and "
                  "file://, @import, @font-face, background/list-style/content url(), "
                  "<object>, <embed>, <link rel=attachment>")
    html = letters.letter_html(
        client=customer, invoices=[invoice], today=date(2026, 3, 20), subject="Reminder",
        body_html=hostile_body(recorder, canary_path), pay_url="https://pay.example/p/x",
        payment_instructions="Bank transfer", language="en")
    with caplog.at_level(logging.WARNING):
        document = letters.render_pdf(html)
    log = refused(caplog)
    assert "Dear customer, please pay." in pdf_text(document, tmp_path)
    expected = [*urls.values(),
        f"{recorder}/font.woff", f"{recorder}/bg.png", f"{recorder}/content.png",
        f"{recorder}/inline-style.png", f"{recorder}/from-data-css.css",
        f"{recorder}/from-data-svg.png", f"file://{canary_path}?list"]
    assert_nothing_reached(document, secret, tmp_path, sockets_watched, log, expected)
    battery.held(f"the letter rendered ({len(document) // 1024} KB, the body's text in it); "
                 f"{log.count('refused to fetch')} fetches refused and logged; the loopback "
                 "server got 0 requests; 0 connect() and 0 DNS lookups while rendering; the "
                 "canary file is in neither the text nor an attachment (0 embedded files)")


def test_on_a_loopback_site_url_static_files_come_from_disk_and_nothing_else(
        recorder, sockets_watched, canary, tmp_path, caplog, battery):
    """SITE_URL on the very server: its /static/ is read from disk (the server sees nothing)
    and every other path on it, redirects included, is refused."""
    canary_path, secret = canary
    battery.tried(f"SITE_URL={recorder} (the recording server itself); a document using its "
                  "/static/ stylesheets, /admin/, /redirect, a <base> on it and ../ tricks")
    page = (f'<html><head><base href="{recorder}/static/pdf/">'
            f'<link rel="stylesheet" href="{recorder}/static/pdf/window.css">'
            f'<link rel="stylesheet" href="../letters/letter.css">'
            f'<link rel="stylesheet" href="{recorder}/admin/">'
            f'<link rel="stylesheet" href="{recorder}/redirect?to=file">'
            f'<link rel="stylesheet" href="{recorder}/static/%2e%2e/%2e%2e/etc/passwd">'
            f'</head><body><p>Statement</p><img src="file://{canary_path}"></body></html>')
    opened: list[str] = []
    # The fetcher invoices and statements use, with its hook for opening static files watched.
    fetcher = type(documents.url_fetcher)(
        open_static=lambda name: opened.append(name) or pdf.static_file(name))
    with override_settings(SITE_URL=recorder), caplog.at_level(logging.WARNING):
        document = pdf.render_pdf(page, url_fetcher=fetcher)
    log = refused(caplog)
    assert_nothing_reached(document, secret, tmp_path, sockets_watched, log, [
        f"{recorder}/admin/", f"{recorder}/redirect?to=file", f"file://{canary_path}",
        f"{recorder}/static/%2e%2e/%2e%2e/etc/passwd"])
    assert set(opened) == {"letters/letter.css", "pdf/window.css"}  # letter.css imports window.css
    assert "static/pdf/window.css" not in log and "letter.css" not in log
    battery.held("both static stylesheets were read from disk (no request); /admin/, the redirect, "
                 "the encoded ../ and file:// were refused; the server got 0 requests")
