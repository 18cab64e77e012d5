"""The admin's import pages: upload a file, see what it will do, confirm.

1. **Upload** ("Add import run"): a file and its format. Only the formats whose importer
   loads are offered (see ``incidents.imports.available``). The file is read in a dry run;
   a file that cannot be imported at all is refused with the importer's message (what was
   expected), and the refusal is kept as a run.
2. **Preview**: the run keeps the file's bytes and the dry run's report: the totals, the
   file's first rows as they are, what will happen to each of the first rows (created,
   updated, skipped or failed, with the reason) and every failed row with its line.
3. **Confirm** applies the kept bytes (not a second upload, so what was previewed is what
   is imported) and shows the report of what happened.

Only users who may import (:func:`can_import`: researchers, reviewers, superusers) see
these pages; anyone else gets the admin's login page or a 403.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from ..imports import available, csvfile, importer
from ..imports.report import FileRefused
from ..models import ImportFormat, ImportRun, ImportRunStatus

UPLOAD_TEMPLATE = "admin/incidents/importrun/upload.html"
PREVIEW_TEMPLATE = "admin/incidents/importrun/preview.html"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
FILE_ROWS_SHOWN = 5
FILE_HEAD_BYTES = 256 * 1024
logger = logging.getLogger(__name__)
FAILURES_SHOWN = 1000
IMPORT_PERMISSIONS = (
    "incidents.add_importrun",
    "incidents.add_incident",
    "incidents.change_incident",
)


def can_import(user: Any) -> bool:
    """Importing creates and changes incidents: it takes the right to both, and to import."""
    return bool(user.is_active and user.is_staff and user.has_perms(IMPORT_PERMISSIONS))


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
    """The header and first rows of the kept file, as they are, for the preview."""
    data = bytes(run.content)
    if len(data) > FILE_HEAD_BYTES:  # the first rows are in the head: no need to read it all
        data = data[: data.rfind(b"\n", 0, FILE_HEAD_BYTES) + 1] or data[:FILE_HEAD_BYTES]
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
        data = upload.read()
        format = form.cleaned_data["format"]
        run = ImportRun(
            format=format,
            file_name=(upload.name or "upload.csv")[:255],
            content=data,
            created_by=request.user,
        )
        try:
            report = importer(format)(data, dry_run=True, user=request.user, run=None)
        except FileRefused as error:
            run.status = ImportRunStatus.FAILED
            run.report = {"refused": str(error)}
            run.save()
            form.add_error("file", str(error))
            return TemplateResponse(request, UPLOAD_TEMPLATE, context, status=400)
        except LookupError as error:
            form.add_error("format", str(error))
            return TemplateResponse(request, UPLOAD_TEMPLATE, context, status=400)
        run.report = report.as_dict()
        run.save()
        return HttpResponseRedirect(reverse("admin:incidents_importrun_preview", args=[run.pk]))

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ImportRun, pk=object_id)
        return HttpResponseRedirect(reverse("admin:incidents_importrun_preview", args=[run.pk]))

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ImportRun.objects.select_related("created_by"), pk=pk)
        if request.method == "POST":
            if not self.has_add_permission(request):
                raise PermissionDenied
            return self._apply(request, pk)
        header, rows = _file_rows(run)
        report = run.report or {}
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
        )
        return TemplateResponse(request, PREVIEW_TEMPLATE, context)

    def _apply(self, request: HttpRequest, pk: int) -> HttpResponse:
        url = reverse("admin:incidents_importrun_preview", args=[pk])
        # Taken under a lock, so a double click applies the file once.
        with transaction.atomic():
            run = get_object_or_404(ImportRun.objects.select_for_update(), pk=pk)
            if run.status != ImportRunStatus.PREVIEWED:
                self.message_user(
                    request, "This import was already applied or refused.", messages.ERROR
                )
                return HttpResponseRedirect(url)
            run.status = ImportRunStatus.APPLIED
            run.applied_at = timezone.now()
            run.save(update_fields=["status", "applied_at"])
        try:
            report = importer(run.format)(bytes(run.content), user=request.user, run=run)
        except (FileRefused, LookupError) as error:
            run.status = ImportRunStatus.FAILED
            run.report = {**(run.report or {}), "refused": str(error)}
            run.save(update_fields=["status", "report"])
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(url)
        except Exception as error:
            # Stopped partway: the chunks written before stay (each is whole), and since an
            # import finds its rows again by their ids, confirming again finishes the job.
            logger.exception("Import run %s stopped partway", run.pk)
            run.status = ImportRunStatus.PREVIEWED
            run.applied_at = None
            run.report = {**(run.report or {}), "interrupted": str(error)[:500]}
            run.save(update_fields=["status", "applied_at", "report"])
            self.message_user(
                request,
                f"The import stopped partway ({error.__class__.__name__}). What was written is "
                "complete; confirm again to import the rest.",
                messages.ERROR,
            )
            return HttpResponseRedirect(url)
        run.report = report.as_dict()
        run.save(update_fields=["report"])
        level = messages.WARNING if report.failures else messages.SUCCESS
        self.message_user(request, f"Imported {run.file_name}: {report.summary()}.", level)
        return HttpResponseRedirect(url)
