"""Public pages: the list of published incidents and each incident's record.

Views stay thin: they ask the selectors, which decide what the visitor may see.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors
from .models import Incident


def home(request: HttpRequest) -> HttpResponse:
    incidents = selectors.incident_list(user=None).order_by("-date_start", "public_id")
    return render(request, "incidents/home.html", {"incidents": incidents})


def incident_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    # The public page shows the published record to everyone, signed in or not.
    try:
        incident = selectors.incident_get(public_id=public_id, user=None)
    except Incident.DoesNotExist as missing:
        raise Http404("No published incident with this id.") from missing
    return render(request, "incidents/incident_detail.html", {"incident": incident})
