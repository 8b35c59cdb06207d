from django.urls import path

from configure import views

app_name = "configure"
urlpatterns = [
    path("", views.home, name="home"),
]
