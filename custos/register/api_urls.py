"""API v1 URLs (DRF views in ``custos.register.api``)."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
]
