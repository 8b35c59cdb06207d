"""The scale benchmark's letters (bench/scale.py): one print batch of ``--letters`` letters of
demand vs WeasyPrint alone on the same HTML."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from bench.scale_run import Row, Run, say

# --- 3. Letters -------------------------------------------------------------------------------


def _letter_html(client: Any, invoices: list[Any], today: date, step: Any) -> tuple[str, str]:
    """The letter of demand's subject and HTML as the letter channel builds it."""
    from answers import links
    from reminders import selectors
    from reminders.channels.letter import letter_html
    from reminders.rendering import render

    template = (selectors.template_for(step.template_key, "letter", client.language)
                or selectors.template_for(step.template_key, "email", client.language))
    pay_url = links.link_url(links.new_token())
    context = selectors.message_context(client=client, invoices=invoices, today=today,
                                        pay_url=pay_url, tone=step.tone,
                                        language=template.language)
    rendered = render(subject=template.subject, text="", html=template.html, context=context)
    return rendered.subject, letter_html(
        client=client, invoices=invoices, today=today, subject=rendered.subject,
        body_html=rendered.html, pay_url=context["pay_url"],
        payment_instructions=context["payment_instructions"], language=template.language)


def _waiting_letters(run: Run) -> int:
    """``--letters`` letters of demand in the print queue, one per client (up to three of its
    open invoices in one currency each), rendered to HTML as the letter channel does."""
    from clients.models import Client
    from receivables.models import Invoice
    from reminders.models import CadenceStep, MessageStatus, OutboundMessage

    step = CadenceStep.objects.get(cadence__is_default=True, name="Letter of demand")
    today = run.now.date()
    open_invoices = (Invoice.objects.filter(status__in=("open", "partially_paid"), balance__gt=0)
                     .select_related("terms"))
    letters = []
    for client in Client.objects.order_by("-pk")[: run.args.letters * 2]:
        invoices = list(open_invoices.filter(client=client).order_by("due_date")[:6])
        invoices = [i for i in invoices if i.currency == invoices[0].currency][:3] \
            if invoices else []
        if not invoices:
            continue
        subject, html = _letter_html(client, invoices, today, step)
        letters.append(OutboundMessage(client=client, channel="letter", language=client.language,
                                       to=client.contact_for("letter"), subject=subject,
                                       html=html, status=MessageStatus.PRINT_QUEUE))
        if len(letters) == run.args.letters:
            break
    OutboundMessage.objects.bulk_create(letters)
    return len(letters)


def _bare_weasyprint(htmls: list[str]) -> tuple[bytes, int, float]:
    """The floor: WeasyPrint alone on the same documents (their stylesheets served from
    memory), pages joined and written once, as one PDF."""
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from infra import pdf

    files: dict[str, tuple[bytes, str]] = {}

    class Memory(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url not in files:  # read once, before the clock matters (see the warm-up)
                name = url.split(pdf.static_base()[2], 1)[1]
                kind = "text/css; charset=utf-8" if name.endswith(".css") else \
                    "application/octet-stream"
                files[url] = (pdf.static_file(name).read_bytes(), kind)
            body, kind = files[url]
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    fetcher, base = Memory(), pdf.base_url()
    weasyprint.HTML(string=htmls[0], base_url=base, url_fetcher=fetcher).write_pdf()  # warm-up
    started = time.perf_counter()
    documents = [weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render()
                 for html in htmls]
    pages = [page for document in documents for page in document.pages]
    data = documents[0].copy(pages).write_pdf()
    return data, len(pages), time.perf_counter() - started


def letters_batch(run: Run, bookkeeper: Any) -> None:
    from work import printing

    say("rendering the waiting letters' HTML ...")
    count = _waiting_letters(run)
    printing.MAX_BATCH = max(printing.MAX_BATCH, count)  # the app splits at 100 a batch
    say(f"one print batch of {count:,} letters ...")
    started = time.perf_counter()
    batch = printing.batch_create(actor=bookkeeper, now=run.now)
    data = printing.batch_pdf(batch)
    took = time.perf_counter() - started
    htmls = [letter.html for letter in printing.batch_letters(batch)]
    bare, pages, floor = _bare_weasyprint(htmls)
    run.add(Row(
        f"{len(htmls):,} letters as one print-batch PDF", took, floor,
        f"`printing.batch_create` (limit raised from 100 to {count:,} for the run) + "
        f"`batch_pdf` (cover sheet + letters): {len(data) / 1e6:.1f} MB; "
        f"floor: `weasyprint.HTML(string=…)` "
        f"of the same {len(htmls):,} letter documents, pages joined, one `write_pdf()`: "
        f"{pages:,} pages, {len(bare) / 1e6:.1f} MB"))
