from django.urls import path, re_path

from portal import views

app_name = "portal"
urlpatterns = [
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/pay/", views.pay, name="pay"),
    path("<str:token>/promise/", views.promise, name="promise"),
    path("<str:token>/plan/", views.plan, name="plan"),
    path("<str:token>/dispute/", views.dispute, name="dispute"),
    path("<str:token>/callback/", views.callback, name="callback"),
    path("<str:token>/preferences/", views.preferences, name="preferences"),
    path("<str:token>/statement.pdf", views.statement_pdf, name="statement"),
    path("<str:token>/invoices/<int:pk>.pdf", views.invoice_pdf, name="invoice"),
    re_path(r"^.*$", views.missing),  # no token, or no such page: the same neutral 404
]
