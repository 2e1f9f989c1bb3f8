"""Web URLs of the register (views in ``custos.register.views``)."""

from django.urls import path

from custos.register import views

app_name = "register"

urlpatterns = [
    path("matrix/", views.matrix, name="matrix"),
    path("people/", views.people, name="people"),
]
