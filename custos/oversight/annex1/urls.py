from django.urls import URLPattern, URLResolver, path

from custos.oversight.annex1 import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("annex1/", views.tracker, name="annex1_tracker"),
    path("annex1/reports/", views.report_list, name="annex1_reports"),
    path("annex1/reports/generate/", views.report_generate, name="annex1_generate"),
    path("annex1/reports/<uuid:report_id>/", views.report_detail, name="annex1_report"),
    path("annex1/reports/<uuid:report_id>/pdf/", views.report_pdf, name="annex1_report_pdf"),
]
