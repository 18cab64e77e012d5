"""The admin's import pages: upload a file, see what it will do, confirm.

1. **Upload** ("Add import run"): a file and its format. Only the formats whose importer
   loads are offered (see ``incidents.imports.available``). The run keeps the file's bytes
   and a background job (``incidents.jobs``) reads every row in a dry run, while the run's
   page shows how far it got. A file that cannot be imported at all is refused with the
   importer's message (what was expected), and the refusal is kept on the run.
2. **Preview**: the dry run's report: the totals, the file's first rows as they are, what
   will happen to each of the first rows (created, updated, skipped or failed, with the
   reason) and every failed row with its line.
3. **Confirm** applies the kept bytes (not a second upload, so what was previewed is what
   is imported) in a background job, shown live on the same page, then the report of what
   happened. The run's row is locked and moved from "previewed" to "being applied" in one
   transaction, so a second confirm (a double click, a second tab) never applies it twice.

No step runs the import inside the request: a 100,000-row file takes a minute, longer than
a web server lets a request live.

Only users who may import (:func:`can_import`: researchers, reviewers, superusers) see
these pages; anyone else gets the admin's login page or a 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BinaryField
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from .. import jobs
from ..imports import available, csvfile
from ..imports.report import FileRefused
from ..models import ImportFormat, ImportRun, ImportRunStatus, JobKind

UPLOAD_TEMPLATE = "admin/incidents/importrun/upload.html"
PREVIEW_TEMPLATE = "admin/incidents/importrun/preview.html"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
FILE_ROWS_SHOWN = 5
FILE_HEAD_BYTES = 256 * 1024
FAILURES_SHOWN = 1000
IMPORT_PERMISSIONS = (
    "incidents.add_importrun",
    "incidents.add_incident",
    "incidents.change_incident",
)


def can_import(user: Any) -> bool:
    """Importing creates and changes incidents: it takes the right to both, and to import."""
    return bool(user.is_active and user.is_staff and user.has_perms(IMPORT_PERMISSIONS))


def can_manage_job(user: Any, job: Any) -> bool:
    """Cancel or resume this job: one's own import's, or anyone's with the right to add jobs."""
    if user.has_perm("incidents.add_job"):
        return True
    return job.created_by_id == user.pk and can_import(user)


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV file, UTF-8 (a byte-order mark is fine).")
    format = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = set(available())
        self.fields["format"].choices = [
            (value, label) for value, label in ImportFormat.choices if value in offered
        ]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.0f} MB; at most "
                f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB can be uploaded. Use the command line "
                "(manage.py import_acled / import_ucdp) for larger files."
            )
        return upload


def _file_rows(run: ImportRun) -> tuple[list[str], list[list[str]]]:
    """The header and first rows of the kept file, as they are, for the preview. Only the
    file's head is read from the database: a kept file can be tens of megabytes."""
    data = bytes(
        ImportRun.objects.filter(pk=run.pk)
        .annotate(head=Substr("content", 1, FILE_HEAD_BYTES, output_field=BinaryField()))
        .values_list("head", flat=True)
        .get()
        or b""
    )
    if len(data) >= FILE_HEAD_BYTES:  # the file goes on: keep whole lines only
        data = data[: data.rfind(b"\n", 0, FILE_HEAD_BYTES) + 1] or data
    try:
        table = csvfile.read(data, what="a CSV file", required=())
    except FileRefused:
        return [], []
    rows = [
        [row.values.get(name, "") for name in table.header]
        for row in table.rows[:FILE_ROWS_SHOWN]
        if isinstance(row, csvfile.CsvRow)
    ]
    return table.header, rows


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["file_name", "format", "status", "counts", "created_by", "created_at"]
    list_filter = ["format", "status"]
    search_fields = ["file_name"]
    list_select_related = ["created_by"]

    def get_queryset(self, request: HttpRequest):
        # The kept files can be tens of megabytes each: a list never reads them.
        return super().get_queryset(request).defer("content")

    @admin.display(description="rows")
    def counts(self, run: ImportRun) -> str:
        report = run.report or {}
        if "refused" in report:
            return "refused"
        if not report:
            return "—"
        return (
            f"{report.get('created', 0)} created, {report.get('updated', 0)} updated, "
            f"{report.get('skipped', 0)} skipped, {report.get('failed', 0)} failed"
        )

    # --- permissions ----------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_import(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_import(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_import(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a run is confirmed, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("incidents.delete_importrun")

    # --- pages ----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_preview",
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": True,
        }

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = self._context(request, "Import a file")
        if request.method != "POST":
            context["form"] = ImportUploadForm()
            return TemplateResponse(request, UPLOAD_TEMPLATE, context)
        form = ImportUploadForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return TemplateResponse(request, UPLOAD_TEMPLATE, context, status=400)
        upload = form.cleaned_data["file"]
        run = ImportRun.objects.create(
            format=form.cleaned_data["format"],
            file_name=(upload.name or "upload.csv")[:255],
            content=upload.read(),
            created_by=request.user,
            status=ImportRunStatus.CHECKING,
        )
        jobs.start(kind=JobKind.IMPORT_CHECK, user=request.user, import_run=run)
        return HttpResponseRedirect(reverse("admin:incidents_importrun_preview", args=[run.pk]))

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ImportRun, pk=object_id)
        return HttpResponseRedirect(reverse("admin:incidents_importrun_preview", args=[run.pk]))

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(
            ImportRun.objects.select_related("created_by").defer("content"), pk=pk
        )
        if request.method == "POST":
            if not self.has_add_permission(request):
                raise PermissionDenied
            return self._apply(request, pk)
        header, rows = _file_rows(run)
        report = run.report or {}
        job = run.jobs.order_by("-pk").first()
        context = self._context(request, f"Import of {run.file_name}")
        context.update(
            run=run,
            report=report,
            header=header,
            file_rows=rows,
            failures=report.get("failures", [])[:FAILURES_SHOWN],
            failures_hidden=max(0, len(report.get("failures", [])) - FAILURES_SHOWN),
            skip_reasons=sorted((report.get("skip_reasons") or {}).items()),
            warnings=report.get("warnings", [])[:FAILURES_SHOWN],
            warnings_hidden=max(0, len(report.get("warnings", [])) - FAILURES_SHOWN),
            notes=sorted((report.get("notes") or {}).items()),
            can_confirm=run.status == ImportRunStatus.PREVIEWED,
            job=job,
            status=jobs.status(job) if job else None,
            can_manage=job is not None and can_manage_job(request.user, job),
            working=run.status in (ImportRunStatus.CHECKING, ImportRunStatus.APPLYING),
        )
        return TemplateResponse(request, PREVIEW_TEMPLATE, context)

    def _apply(self, request: HttpRequest, pk: int) -> HttpResponse:
        url = reverse("admin:incidents_importrun_preview", args=[pk])
        # Taken under a lock, so a double click applies the file once: the second confirm
        # finds the run "being applied" (or applied) and is told so.
        with transaction.atomic():
            run = get_object_or_404(ImportRun.objects.select_for_update().defer("content"), pk=pk)
            if run.status != ImportRunStatus.PREVIEWED:
                self.message_user(
                    request, "This import was already applied or refused.", messages.ERROR
                )
                return HttpResponseRedirect(url)
            run.status = ImportRunStatus.APPLYING
            run.save(update_fields=["status"])
            job = jobs.create(kind=JobKind.IMPORT_APPLY, user=request.user, import_run=run)
        # Queued once the run's new status is committed, so the worker sees it.
        jobs.enqueue(job)
        return HttpResponseRedirect(url)
