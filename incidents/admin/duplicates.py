"""The admin page "Possible duplicates": pairs of incidents that may be one event.

Each open pair (see ``incidents.duplicates``) is shown side by side: ids, titles, status,
dates, places, distance, figures, number of claims, with the score and the reasons it was
flagged. The researcher merges it (choosing which incident to keep) or marks it as two
distinct events. Decisions are POSTs (with the CSRF token) that go through
``services.incident_merge`` and ``services.duplicate_dismiss`` and come back to the list
with the outcome as an admin message. The page is for users with the permission to review
duplicates (researchers and reviewers); merging a published incident takes a reviewer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import selectors, services
from ..models import DuplicateCandidate, DuplicateStatus, Incident
from ..services import ConcurrentEditError

TEMPLATE = "admin/incidents/duplicates.html"
PAGE_SIZE = 50
PERMISSION = "incidents.review_duplicatecandidate"


def _figures(incident: Incident) -> str:
    return incident.killed_display


def _dates(incident: Incident) -> str:
    if incident.date_start == incident.date_end:
        return incident.date_start.isoformat()
    return f"{incident.date_start.isoformat()} to {incident.date_end.isoformat()}"


def _side(incident: Incident, claims: dict[int, int]) -> dict[str, Any]:
    place = incident.place.name if incident.place else ""
    return {
        "incident": incident,
        "dates": _dates(incident),
        "place": ", ".join(
            part
            for part in (
                incident.place_name or place,
                incident.governorate.name if incident.governorate else "",
            )
            if part
        ),
        "precision": incident.get_location_precision_display().lower(),
        "figures": _figures(incident),
        "claims": claims.get(incident.pk, 0),
    }


def duplicates_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        return _decide(request)
    candidates = selectors.duplicate_candidates_open()
    incident_id = request.GET.get("incident", "")
    focus = None
    if incident_id.isdigit():
        focus = Incident.objects.filter(pk=int(incident_id)).first()
        if focus is not None:
            candidates = candidates.filter(
                pk__in=selectors.duplicate_candidates_open(incident=focus)
            )
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    pairs: list[DuplicateCandidate] = list(page.object_list)
    claims = selectors.claim_counts(
        [pk for pair in pairs for pk in (pair.first_id, pair.second_id)]
    )
    rows = []
    for pair in pairs:
        first, second = pair.first, pair.second
        rows.append(
            {
                "pair": pair,
                "sides": [_side(first, claims), _side(second, claims)],
                "can_merge_into_first": services.can_merge(request.user, first, second)
                and not services._merge_problems(first, second),
                "can_merge_into_second": services.can_merge(request.user, second, first)
                and not services._merge_problems(second, first),
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Possible duplicates",
        "rows": rows,
        "page": page,
        "focus": focus,
        "total": page.paginator.count,
    }
    return TemplateResponse(request, TEMPLATE, context)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the list as it was (its focus and page), keeping nothing else of what was
    posted."""
    url = reverse("admin:incidents_incident_duplicates")
    posted = QueryDict(request.POST.get("return_query", ""))
    query = urlencode(
        {name: posted[name] for name in ("incident", "page") if posted.get(name, "").isdigit()}
    )
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def _version(request: HttpRequest, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


def _decide(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    candidate = DuplicateCandidate.objects.filter(
        pk=request.POST.get("candidate") if request.POST.get("candidate", "").isdigit() else None
    ).first()
    if candidate is None:
        messages.error(request, "That pair no longer exists; the list below is up to date.")
        return _back(request)
    if candidate.status != DuplicateStatus.OPEN:
        messages.error(
            request, f"That pair was already decided ({candidate.get_status_display().lower()})."
        )
        return _back(request)
    first, second = candidate.first, candidate.second
    try:
        if action == "dismiss":
            services.duplicate_dismiss(candidate=candidate, user=request.user)
            messages.success(
                request, f"{first.public_id} and {second.public_id} marked as distinct events."
            )
        elif action == "merge":
            keep_id = request.POST.get("keep", "")
            if keep_id not in (str(first.pk), str(second.pk)):
                messages.error(request, "Choose which of the two incidents to keep.")
                return _back(request)
            keep, merge = (first, second) if keep_id == str(first.pk) else (second, first)
            services.incident_merge(
                keep=keep,
                merge=merge,
                user=request.user,
                reason=request.POST.get("reason", "")[:500],
                keep_version=_version(request, f"version_{keep.pk}"),
                merge_version=_version(request, f"version_{merge.pk}"),
            )
            messages.success(
                request,
                f"{merge.public_id} merged into {keep.public_id}: its claims, perpetrators "
                "and history are kept there.",
            )
        else:
            messages.error(request, "Unknown decision: merge, or not the same.")
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    except (PermissionDenied, ConcurrentEditError) as error:
        messages.error(request, str(error) or "You may not do this.")
    return _back(request)
