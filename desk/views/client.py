"""Placeholder, filled in by the lead."""

from django.http import HttpRequest, HttpResponse

from config.roles import bookkeeper_required


@bookkeeper_required
def client_page(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("Coming soon.")
