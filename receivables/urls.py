from django.urls import path

from receivables import views

app_name = "receivables"
urlpatterns = [
    path("", views.open_invoices, name="open-invoices"),
]
