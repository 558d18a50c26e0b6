from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from membercard.web import views

urlpatterns = [
    path("", views.start, name="start"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", ("membercard.api.urls", None, None)),  # include(): the POS API
]
