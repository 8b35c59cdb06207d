from django.urls import path

from desk.views import client, dashboard, worklist

app_name = "desk"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("attention/<str:kind>/", dashboard.attention, name="attention"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("worklist/bulk/", worklist.bulk, name="worklist-bulk"),
    path("worklist.csv", worklist.export_csv, name="worklist-csv"),
    path("clients/<int:pk>/", client.client_page, name="client"),
    path("clients/<int:pk>/payment/", client.record_payment, name="client-payment"),
    path("clients/<int:pk>/note/", client.add_note, name="client-note"),
    path("replies/<int:pk>/attachments/<int:index>/", client.reply_attachment,
         name="reply-attachment"),
    path("clients/<int:pk>/call/", client.log_call, name="client-call"),
    path("clients/<int:pk>/pause/", client.pause_client, name="client-pause"),
    path("clients/<int:pk>/invoices/<int:invoice_pk>/pause/", client.pause_invoice,
         name="invoice-pause"),
    path("clients/<int:pk>/invoices/<int:invoice_pk>/send-now/", client.send_now,
         name="invoice-send-now"),
    path("clients/<int:pk>/invoices/<int:invoice_pk>/skip/", client.skip_step,
         name="invoice-skip"),
]
