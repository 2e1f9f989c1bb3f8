"""URLs of the DPIA pack (namespace ``web``)."""

from django.urls import URLPattern, URLResolver, path

from custos.oversight.dpia import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("dpia/", views.dpia_list, name="dpia_list"),
    path("dpia/generate/", views.dpia_generate, name="dpia_generate"),
    path("dpia/<int:number>/", views.dpia_detail, name="dpia_detail"),
    path("dpia/<int:number>/sign-off/", views.dpia_sign_off, name="dpia_sign_off"),
    path("dpia/<int:number>.pdf", views.dpia_pdf, name="dpia_pdf"),
    path("dpia/<int:number>.json", views.dpia_json, name="dpia_json"),
    path("dpia/risks/", views.dpia_risks, name="dpia_risks"),
    path("dpia/risks/<slug:code>/", views.dpia_risk, name="dpia_risk"),
    path("records-of-processing/", views.dpia_records_of_processing, name="dpia_records_of_processing"),
]
