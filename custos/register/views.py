"""Web views of the register: thin, calling selectors and services only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from custos.accounts.models import User
from custos.register import selectors


def matrix(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    data = selectors.matrix_for(viewer=user, filters=selectors.MatrixFilters(), purpose="web: matrix list")
    return render(request, "register/matrix.html", {"data": data})


def people(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = selectors.people_page_for(viewer=user, purpose="web: people list")
    return render(request, "register/people.html", {"page": page})
