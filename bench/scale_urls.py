"""The project's URLs plus one bare view, for bench/scale.py's page floor: a trivial view that
goes through the same middleware stack as every page and does nothing else."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urls


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *project_urls]
