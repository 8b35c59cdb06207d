"""Placeholder, filled in by the lead."""

from django.http import HttpRequest, HttpResponse

from config.roles import bookkeeper_required


@bookkeeper_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Coming soon.")
