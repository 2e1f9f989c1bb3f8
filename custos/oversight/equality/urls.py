"""Equality monitor and public transparency pages (namespace ``web``)."""

from django.urls import URLPattern, URLResolver, path

from custos.oversight.equality import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("equality/", views.monitor, name="equality_monitor"),
    path("equality/chart/ratios/<slug:point>/", views.ratio_chart, name="equality_ratio_chart"),
    path("equality/chart/series/<slug:name>/", views.series_chart, name="equality_series_chart"),
    path("equality/publications/", views.publications, name="equality_publications"),
    path("transparency/", views.transparency, name="equality_transparency"),
]
