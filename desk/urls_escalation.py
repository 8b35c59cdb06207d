"""Escalation pages, mounted at ``/escalation/`` with the namespace "escalation"."""

from django.urls import path

from desk.views import escalation as views

app_name = "escalation"
urlpatterns = [
    path("clients/<int:client_pk>/collections/", views.collections, name="collections"),
    path("clients/<int:client_pk>/package.pdf", views.package_pdf, name="package-pdf"),
    path("clients/<int:client_pk>/package.zip", views.package_zip, name="package-zip"),
    path("clients/<int:client_pk>/demand/", views.demand, name="demand"),
]
