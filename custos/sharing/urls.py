"""Web pages of custos.sharing (included by custos.web.urls, in the web namespace).

Paths carry ids only; people are named by reference in a form, never in a URL.
"""

from django.urls import path

from custos.sharing import review_views, views

urlpatterns = [
    path("sharing/agreements/", views.agreement_list, name="sharing_agreements"),
    path("sharing/agreements/new/", views.agreement_new, name="sharing_agreement_new"),
    path("sharing/agreements/<uuid:agreement_id>/", views.agreement_detail, name="sharing_agreement"),
    path("sharing/agreements/<uuid:agreement_id>/edit/", views.agreement_edit, name="sharing_agreement_edit"),
    path("sharing/guidance/", views.guidance, name="sharing_guidance"),
    path("sharing/disclosures/", views.disclosure_list, name="sharing_disclosures"),
    path("sharing/disclosures/new/", views.disclosure_new, name="sharing_disclosure_new"),
    path("sharing/disclosures/<uuid:disclosure_id>/", views.disclosure_detail, name="sharing_disclosure"),
    path("sharing/destroyed/", views.destroyed, name="sharing_destroyed"),
    path("sharing/review/", review_views.review_page, name="sharing_review"),
    path("sharing/review.pdf", review_views.review_pdf, name="sharing_review_pdf"),
]
