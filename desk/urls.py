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
]
