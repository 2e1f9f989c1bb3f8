from django.urls import URLPattern, URLResolver, path

from custos.oversight.breaches import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("breaches/", views.breach_list, name="breaches_list"),
    path("breaches/new/", views.breach_new, name="breaches_new"),
    path("breaches/<uuid:breach_id>/", views.breach_detail, name="breaches_detail"),
    path("breaches/<uuid:breach_id>/notify/", views.breach_notify, name="breaches_notify"),
    path("breaches/<uuid:breach_id>/decide/", views.breach_decide, name="breaches_decide"),
    path("breaches/<uuid:breach_id>/actions/", views.breach_action, name="breaches_action"),
    path("breaches/<uuid:breach_id>/close/", views.breach_close, name="breaches_close"),
]
