"""Oversight pages (namespace ``web``): each part has its own URL module."""

from django.urls import include, path

from custos.oversight import views

urlpatterns = [
    path("oversight/", views.index, name="oversight"),
    path("", include("custos.oversight.equality.urls")),
    path("", include("custos.oversight.audits.urls")),
    path("", include("custos.oversight.breaches.urls")),
    path("", include("custos.oversight.dpia.urls")),
    path("", include("custos.oversight.guidance.urls")),
    path("", include("custos.oversight.annex1.urls")),
]
