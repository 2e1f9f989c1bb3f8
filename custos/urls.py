"""URLs: the web interface at the root, the JSON API under /api/v1/."""

from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("custos.register.api_urls")),
    path("api/v1/", include("custos.sharing.api_urls")),
    path("", include("custos.web.urls")),
]

if settings.CUSTOS_OIDC_ENABLED:  # signing in with the force's identity provider (ADR 9)
    from custos.web.access_views import oidc_authenticate, oidc_callback

    urlpatterns[-1:-1] = [
        path("oidc/authenticate/", oidc_authenticate, name="oidc_authentication_init"),
        path("oidc/callback/", oidc_callback, name="oidc_authentication_callback"),
    ]

# Under /api/, an address that matches no operation answers JSON, as the API's own 404s do (custos.register.api).
handler404 = "custos.register.api.page_not_found"
# The 403 page says why: for missing or expired training, which course and who to ask (custos.web.governance).
handler403 = "custos.web.governance.permission_denied"
# No log, no action: AuditUnavailable raised outside a view still answers 503 (custos.web.fail_closed).
handler500 = "custos.web.fail_closed.server_error"
