"""Guidance library pages (namespace ``web``)."""

from django.urls import path

from custos.oversight.guidance import views

urlpatterns = [
    path("guidance/", views.index, name="guidance_index"),
    path("guidance/drafts/<uuid:draft_id>/", views.draft_detail, name="guidance_draft_detail"),
    path("guidance/drafts/<uuid:draft_id>/publish/", views.draft_publish, name="guidance_draft_publish"),
    path("guidance/drafts/<uuid:draft_id>/discard/", views.draft_discard, name="guidance_draft_discard"),
    path("guidance/<slug:topic>/", views.topic, name="guidance_topic"),
    path("guidance/<slug:topic>/draft/", views.draft, name="guidance_draft"),
    path("guidance/<slug:topic>/v<int:version>/", views.version, name="guidance_version"),
    path("guidance/<slug:topic>/v<int:version>/changes/", views.changes, name="guidance_changes"),
]
