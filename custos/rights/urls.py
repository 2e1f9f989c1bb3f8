"""Web pages of custos.rights (included by custos.web.urls, in the web namespace).

Paths carry ids only, never names: a person is picked by reference in a
form, or found with a POST search.
"""

from django.urls import path

from custos.rights import views

urlpatterns = [
    path("requests/", views.dashboard, name="requests"),
    path("requests/new/", views.receive, name="request_new"),
    path("requests/new/find/", views.find_person, name="request_find_person"),
    path("requests/<uuid:request_id>/", views.detail, name="request"),
    path("requests/<uuid:request_id>/pause/", views.pause, name="request_pause"),
    path("requests/<uuid:request_id>/resume/", views.resume, name="request_resume"),
    path("requests/<uuid:request_id>/extend/", views.extend, name="request_extend"),
    path("requests/<uuid:request_id>/package/", views.package, name="request_package"),
    path("requests/<uuid:request_id>/package/withhold/", views.withhold, name="request_withhold"),
    path("requests/<uuid:request_id>/package.<str:fmt>", views.download, name="request_download"),
    path("requests/<uuid:request_id>/respond/", views.respond, name="request_respond"),
    path("requests/<uuid:request_id>/rectify/", views.rectify, name="request_rectify"),
    path("requests/<uuid:request_id>/notices/<uuid:notice_id>/sent/", views.notice_sent, name="request_notice_sent"),
    path("requests/<uuid:request_id>/erasure/", views.erasure, name="request_erasure"),
    path("requests/<uuid:request_id>/restriction/", views.restriction, name="request_restriction"),
    path("requests/<uuid:request_id>/close/", views.close, name="request_close"),
]
