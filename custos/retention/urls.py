"""Web pages of custos.retention (included by custos.web.urls, in the web namespace).

Paths carry ids and codes only, never names; views in ``custos.retention.views``.
"""

from django.urls import URLPattern, URLResolver, path

from custos.retention import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("reviews/", views.queue, name="reviews"),
    path("reviews/overdue/", views.overdue, name="reviews_overdue"),
    path("reviews/<uuid:review_id>/", views.review_detail, name="review"),
    path("reviews/<uuid:review_id>/cancel/", views.removal_cancel, name="review_cancel"),
    path("reviews/<uuid:review_id>/erase-now/", views.erase_now, name="review_erase_now"),
    path("retention/schedule/", views.schedule, name="retention_schedule"),
    path("people/<uuid:person_id>/review/", views.review_open, name="review_open"),
    path("restrictions/", views.restrictions, name="restrictions"),
    path("restrictions/<uuid:restriction_id>/lift/", views.restriction_lift, name="restriction_lift"),
]
