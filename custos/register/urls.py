"""Web URLs of the register (views in ``custos.register.views``).

They are included by ``custos.web.urls`` and so named in its ``web``
namespace (``web:matrix``, ``web:person`` …), which is what
``LOGIN_REDIRECT_URL`` names. Paths carry ids and codes only, never names.
"""

from django.urls import path

from custos.register import views

urlpatterns = [
    path("matrix/", views.matrix, name="matrix"),
    path("people/", views.people, name="people"),
    path("people/add/", views.person_add, name="person_add"),
    path("people/<uuid:person_id>/", views.person_detail, name="person"),
    path("people/<uuid:person_id>/intelligence/add/", views.intelligence_add, name="intelligence_add"),
    path("people/<uuid:person_id>/nominate/", views.nominate, name="nominate"),
    path("intelligence/<uuid:item_id>/verify/", views.intelligence_verify, name="intelligence_verify"),
    path("nominations/<uuid:nomination_id>/activate/", views.nomination_activate, name="nomination_activate"),
    path("nominations/<uuid:nomination_id>/decide/", views.rag_decide, name="rag_decide"),
    path("people/<uuid:person_id>/actions/add/", views.action_record, name="action_record"),
    path("actions/policy/", views.action_policy, name="action_policy"),
]
