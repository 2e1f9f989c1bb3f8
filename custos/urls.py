"""URLs: the web interface at the root, the JSON API under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("custos.register.api_urls")),
    path("", include("custos.web.urls")),
]
