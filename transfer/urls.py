from django.urls import path

from transfer import views

app_name = "transfer"
urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/import", views.job_start, name="job-start"),
    path("jobs/<int:job_id>/progress", views.job_progress, name="job-progress"),
    path("templates/<slug:kind>.csv", views.template_csv, name="template"),
    path("export/invoices.csv", views.export_invoices, name="export-invoices"),
    path("export/payments.csv", views.export_payments, name="export-payments"),
    path("export/aging.csv", views.export_aging, name="export-aging"),
    path("export/timeline.csv", views.export_timeline, name="export-timeline"),
]
