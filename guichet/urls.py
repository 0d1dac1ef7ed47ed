from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from guichet.api.main import api, openapi_json
from guichet.channels.views import whatsapp_webhook
from guichet.customers.views import home

admin.site.site_header = "Guichet administration"
admin.site.site_title = "Guichet"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("channels/whatsapp/webhook", whatsapp_webhook, name="whatsapp-webhook"),
    path("", home, name="home"),
]
