"""Placeholder until this page is built."""

from django.http import HttpRequest, HttpResponse

from config.roles import admin_required


@admin_required
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Coming soon.")
