from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from campaigns.selectors import campaigns_open, campaigns_upcoming


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = {"open_campaigns": campaigns_open(), "upcoming_campaigns": campaigns_upcoming()}
    return render(request, "campaigns/home.html", context)
