from django.urls import path

from desk.views import outbox
from desk.views import work as views

app_name = "reminders"
urlpatterns = [
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
    path("plans/<int:pk>/<str:decision>/", views.plan_decide, name="plan-decide"),
    path("disputes/<int:pk>/attachment/", views.dispute_attachment, name="dispute-attachment"),
    path("disputes/<int:pk>/resolve/", views.dispute_resolve, name="dispute-resolve"),
    path("flags/<int:pk>/clear/", views.flag_clear, name="flag-clear"),
    path("letters/", views.print_queue, name="print-queue"),
    path("letters/batches/", views.print_batch_create, name="print-batch-create"),
    path("letters/batches/<int:pk>.pdf", views.print_batch_pdf, name="print-batch-pdf"),
    path("letters/batches/<int:pk>/posted/", views.print_batch_posted, name="print-batch-posted"),
    path("letters/<int:pk>.pdf", views.letter_pdf, name="letter-pdf"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<int:pk>/<str:decision>/", outbox.review_decide, name="outbox-review"),
    path("messages/", outbox.sent_messages, name="sent-messages"),
    path("messages/<int:pk>/", outbox.sent_message, name="sent-message"),
    path("messages/<int:pk>/html/", outbox.sent_message_html, name="sent-message-html"),
]
