from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Settle administration"
admin.site.site_title = "Settle"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="receivables:open-invoices"), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invoices/", include("receivables.urls")),
    path("admin/", admin.site.urls),
]
