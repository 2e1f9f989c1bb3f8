"""Web pages of custos.dlp (included by custos.web.urls, in the web namespace). Paths carry ids only."""

from django.urls import URLPattern, URLResolver, path

from custos.dlp import export_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("dlp/findings/", views.findings, name="dlp_findings"),
    path("dlp/findings/<uuid:finding_id>/", views.finding, name="dlp_finding"),
    path("dlp/findings/<uuid:finding_id>/assign/", views.finding_assign, name="dlp_finding_assign"),
    path("dlp/findings/<uuid:finding_id>/copy-erased/", views.copy_erased, name="dlp_copy_erased"),
    path("dlp/findings/<uuid:finding_id>/close/", views.finding_close, name="dlp_finding_close"),
    # Controlled exports (custos.dlp.export_views)
    path("exports/", export_views.export_list, name="exports"),
    path("exports/new/", export_views.export_new, name="export_new"),
    path("exports/<uuid:export_id>/download/", export_views.export_download, name="export_download"),
    path("exports/<uuid:export_id>/destroyed/", export_views.export_destroyed, name="export_destroyed"),
]
