"""Placeholder until this page is built."""

from django.http import HttpRequest, HttpResponse

from config.roles import bookkeeper_required


@bookkeeper_required
def analytics(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Coming soon.")
