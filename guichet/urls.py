from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from guichet.api.main import api, openapi_json

admin.site.site_header = "Guichet administration"
admin.site.site_title = "Guichet"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
