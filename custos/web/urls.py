from django.urls import include, path

from custos.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("", include("custos.register.urls")),
]
