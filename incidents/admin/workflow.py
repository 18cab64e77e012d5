"""The workflow on an incident's admin page, and the reviewers' review queue.

An incident's page shows one button per step its user may take on it as it stands: submit
for review, return to draft, publish, retract (with the box for the reason). Each button
posts the version the page was read at to :func:`workflow_view`, which calls the service of
that step; an incident changed by someone else since the page was read is refused with the
services' concurrency error, shown as an admin message, and nothing changes.

The review queue lists the incidents in review, the longest waiting first, with who
submitted each and when, and, for one the public saw before, what changed since its last
published version (``incidents.changes``). It is for reviewers: those who may publish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import selectors, services
from ..models import Incident

QUEUE_TEMPLATE = "admin/incidents/review_queue.html"
PUBLISH_PERMISSION = "incidents.publish_incident"


@dataclass(frozen=True)
class Step:
    name: str
    label: Any
    done: Any  # the message after it, with %(id)s


STEPS = {
    "submit": Step(
        "submit", gettext_lazy("Submit for review"), gettext_lazy("%(id)s is in review.")
    ),
    "return_to_draft": Step(
        "return_to_draft",
        gettext_lazy("Return to draft"),
        gettext_lazy("%(id)s is a draft again."),
    ),
    "publish": Step("publish", gettext_lazy("Publish"), gettext_lazy("%(id)s is published.")),
    "retract": Step("retract", gettext_lazy("Retract"), gettext_lazy("%(id)s is retracted.")),
}


def workflow_buttons(user: Any, incident: Incident) -> list[Step]:
    """The buttons to show on the incident's page: the steps its user may take now."""
    return [STEPS[name] for name in services.workflow_steps(user, incident)]


def _apply(step: str, incident: Incident, request: HttpRequest, version: int) -> None:
    user = request.user
    if step == "submit":
        services.incident_submit_for_review(incident=incident, user=user, expected_version=version)
    elif step == "return_to_draft":
        services.incident_return_to_draft(incident=incident, user=user, expected_version=version)
    elif step == "publish":
        services.incident_publish(incident=incident, user=user, expected_version=version)
    else:
        services.incident_retract(
            incident=incident,
            user=user,
            reason=request.POST.get("reason", ""),
            expected_version=version,
        )


def workflow_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    incident = model_admin.get_object(request, object_id)
    if incident is None:
        raise Http404(_("No such incident."))
    step = request.POST.get("step", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The page did not say which version it showed."))
    if step not in STEPS:
        return HttpResponseBadRequest(_("Unknown workflow step."))
    try:
        _apply(step, incident, request, version)
    except services.ConcurrentEditError as error:
        messages.error(
            request,
            _(
                "%(id)s was changed by someone else since you opened it (you saw version "
                "%(seen)s, it is now at version %(now)s). Look at it again, then choose."
            )
            % {"id": incident.public_id, "seen": error.expected, "now": error.current},
        )
    except (ValidationError, PermissionDenied) as error:
        detail = " ".join(getattr(error, "messages", [str(error)]))
        messages.error(request, f"{incident.public_id}: {detail}")
    else:
        messages.success(request, STEPS[step].done % {"id": incident.public_id})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:incidents_incident_change", args=[incident.pk])
    return HttpResponseRedirect(target)


def review_queue_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied
    items = selectors.review_queue(user=request.user)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Review queue"),
        "items": items,
    }
    return TemplateResponse(request, QUEUE_TEMPLATE, context)
