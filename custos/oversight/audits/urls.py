from django.urls import URLPattern, URLResolver, path

from custos.oversight.audits import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("audits/", views.audit_list, name="audits_list"),
    path("audits/run/", views.audit_run, name="audits_run"),
    path("audits/<uuid:audit_id>/", views.audit_detail, name="audits_detail"),
    path("audits/<uuid:audit_id>.pdf", views.audit_pdf, name="audits_pdf"),
]
