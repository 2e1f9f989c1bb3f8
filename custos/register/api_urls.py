"""API v1 URLs (DRF views in ``custos.register.api``), namespace ``api``."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from custos.register import api

app_name = "api"

urlpatterns = [
    path("nominals/", api.NominalListApi.as_view(), name="nominal-list"),
    path("nominals/<uuid:nomination_id>/", api.NominalDetailApi.as_view(), name="nominal-detail"),
    path("people/", api.PeopleApi.as_view(), name="person-list"),
    path("people/<uuid:person_id>/", api.PersonDetailApi.as_view(), name="person-detail"),
    path("intelligence/", api.IntelligenceCollectionApi.as_view(), name="intelligence-list"),
    path("intelligence/<uuid:item_id>/", api.IntelligenceDetailApi.as_view(), name="intelligence-detail"),
    # Token-only like the rest of the API (SPECTACULAR_SETTINGS SERVE_*); the
    # session-based LoginRequiredMiddleware would redirect a token caller.
    path("openapi.json", login_not_required(SpectacularJSONAPIView.as_view()), name="openapi"),
]
