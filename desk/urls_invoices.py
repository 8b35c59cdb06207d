from django.urls import path

from desk.views import invoices as views

app_name = "receivables"
urlpatterns = [
    path("", views.open_invoices, name="open-invoices"),
    path("<int:pk>.pdf", views.invoice_pdf, name="invoice-pdf"),
    path("statement/<int:client_pk>.pdf", views.statement_pdf, name="statement-pdf"),
]
