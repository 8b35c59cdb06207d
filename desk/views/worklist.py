"""Placeholder: the receivables worklist (being built)."""

from django.http import HttpRequest, HttpResponse

from config.roles import bookkeeper_required


@bookkeeper_required
def worklist(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Coming soon.")


@bookkeeper_required
def bulk(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Coming soon.")


@bookkeeper_required
def export_csv(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Coming soon.")
