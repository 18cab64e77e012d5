"""The admin's background jobs: the list, each job live, and starting the maintenance ones.

A job's page (and the import run's page while its file is checked or applied) shows its
state, rows done of total, the rate and the time left; ``job_progress.js`` keeps them up to
date by polling the small JSON view here, and reloads the page when the job ends so that the
report shows. A job can be cancelled (it stops between two committed chunks); a job whose
worker was lost (killed, machine gone) is shown as stopped, with "Resume", which queues it
again to finish the work.

Who may do what: anyone who may import sees the jobs and cancels or resumes their own;
starting a whole-database job, or acting on someone else's, takes the right to add jobs
(superusers have it; give it to a group in the admin).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import jobs
from ..models import Job, JobKind
from .imports import can_import, can_manage_job

JOB_TEMPLATE = "admin/incidents/job/detail.html"
START_TEMPLATE = "admin/incidents/job/start.html"


def can_manage(user: Any, job: Job | None = None) -> bool:
    """Start whole-database jobs (no ``job``), or cancel and resume this one."""
    if job is None:
        return user.has_perm("incidents.add_job")
    return can_manage_job(user, job)


class StartJobForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Job"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(JobKind.choices)
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in jobs.MAINTENANCE_KINDS]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "state_shown", "progress_shown", "created_by", "created_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["created_by"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).defer("report")

    @admin.display(description=gettext_lazy("state"))
    def state_shown(self, job: Job) -> str:
        return jobs.status(job)["state_label"]

    @admin.display(description=gettext_lazy("progress"))
    def progress_shown(self, job: Job) -> str:
        if job.total is None:
            return f"{job.done:,}" if job.done else "—"
        return _("%(done)s of %(total)s") % {"done": f"{job.done:,}", "total": f"{job.total:,}"}

    # --- permissions ----------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_import(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_import(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a job is started, cancelled or resumed, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what ran stays

    # --- pages ----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name=f"{info}_progress",
            ),
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name=f"{info}_cancel",
            ),
            path(
                "<int:pk>/resume/",
                self.admin_site.admin_view(self.resume_view),
                name=f"{info}_resume",
            ),
            *super().get_urls(),
        ]

    def _job(self, request: HttpRequest, pk: Any) -> Job:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Not the import run's kept file (tens of megabytes): this runs at every poll.
        return get_object_or_404(
            Job.objects.select_related("created_by", "import_run").defer("import_run__content"),
            pk=pk,
        )

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StartJobForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            job = jobs.start(kind=form.cleaned_data["kind"], user=request.user)
            return HttpResponseRedirect(reverse("admin:incidents_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Start a job"),
            "form": form,
            "has_view_permission": True,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, START_TEMPLATE, context, status=status)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        job = self._job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(job),
            "job": job,
            "status": jobs.status(job),
            "can_manage": can_manage(request.user, job),
            "has_view_permission": True,
        }
        return TemplateResponse(request, JOB_TEMPLATE, context)

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = self._job(request, pk)
        response = JsonResponse(jobs.status(job))
        response["Cache-Control"] = "no-store"
        return response

    def _act(self, request: HttpRequest, pk: int, act) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        job = self._job(request, pk)
        if not can_manage(request.user, job):
            raise PermissionDenied
        act(job)
        back = request.POST.get("next") or ""
        if not back.startswith("/") or not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:incidents_job_change", args=[job.pk])
        return HttpResponseRedirect(back)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def act(job: Job) -> None:
            jobs.cancel(job=job, user=request.user)
            self.message_user(request, _("The job was asked to stop."), messages.INFO)

        return self._act(request, pk, act)

    def resume_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def act(job: Job) -> None:
            try:
                jobs.resume(job=job, user=request.user)
            except ValueError:
                self.message_user(request, _("Only a stopped job can be resumed."), messages.ERROR)
            else:
                self.message_user(request, _("The job was queued again."), messages.SUCCESS)

        return self._act(request, pk, act)
