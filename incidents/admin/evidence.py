"""Evidence files on a source's admin page: upload, list with their hashes, download, and
(reviewers) mark public.

The section sits below the source's own form, with forms of its own, so a researcher can
keep files even for a source that published work cites (whose fields only a reviewer may
change). Every action checks its permission here and again in the services; downloads go
through :meth:`EvidenceAdmin.evidence_download_view`, never a stored file's address.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from .. import evidence, selectors, services
from ..models import EvidenceFile, Source

UPLOAD_TEMPLATE = "admin/incidents/source/evidence_upload.html"


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=500,
        help_text=_("What it is, e.g. “the article as saved on 8 March”."),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        for name, texts in getattr(error, "message_dict", {"__all__": error.messages}).items():
            for text in texts:
                self.add_error(name if name in self.fields else None, text)


def evidence_rows(files: list[EvidenceFile]) -> list[dict[str, Any]]:
    return [
        {
            "file": item,
            "type": evidence.type_label(item.blob.content_type),
            "size": evidence.size_text(item.blob.size),
            "public_url": reverse("incidents:evidence-file", args=[item.token])
            if item.public and not item.source.confidential
            else "",
            "download_url": reverse(
                "admin:incidents_source_evidence_download", args=[item.source_id, item.pk]
            ),
            "public_action": reverse(
                "admin:incidents_source_evidence_public", args=[item.source_id, item.pk]
            ),
        }
        for item in files
    ]


class EvidenceAdmin:
    """A mixin for the source's ModelAdmin."""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path(
                "<path:object_id>/evidence/upload/",
                view(self.evidence_upload_view),
                name="incidents_source_evidence_upload",
            ),
            path(
                "<path:object_id>/evidence/<int:file_id>/download/",
                view(self.evidence_download_view),
                name="incidents_source_evidence_download",
            ),
            path(
                "<path:object_id>/evidence/<int:file_id>/public/",
                view(require_POST(self.evidence_public_view)),
                name="incidents_source_evidence_public",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def _source(self, request: HttpRequest, object_id: str) -> Source:
        source = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if source is None or not self.has_view_permission(request, source):  # type: ignore[attr-defined]
            raise Http404
        return source

    def _change_url(self, source: Source) -> str:
        return reverse("admin:incidents_source_change", args=[source.pk]) + "#evidence"

    def evidence_context(self, request: HttpRequest, source: Source) -> dict[str, Any]:
        files = list(selectors.evidence_files_of(source=source, user=request.user))
        return {
            "evidence_rows": evidence_rows(files),
            "evidence_can_see": selectors.can_see_evidence(request.user),
            "evidence_can_upload": request.user.has_perm("incidents.add_evidencefile"),
            "evidence_can_publish": services.is_reviewer(request.user) and not source.confidential,
            "evidence_form": EvidenceUploadForm(),
            "evidence_upload_url": reverse(
                "admin:incidents_source_evidence_upload", args=[source.pk]
            ),
            "evidence_limit": evidence.size_text(evidence.max_bytes()),
            "evidence_types": ", ".join(
                str(evidence.FILE_TYPES[t].label) for t in evidence.allowed_types()
            ),
        }

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        source = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if source is not None:
            extra_context = {**(extra_context or {}), **self.evidence_context(request, source)}
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def evidence_upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        source = self._source(request, object_id)
        if not request.user.has_perm("incidents.add_evidencefile"):
            raise PermissionDenied
        form = EvidenceUploadForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    item = services.evidence_attach(
                        source=source,
                        user=request.user,
                        upload=form.cleaned_data["file"],
                        description=form.cleaned_data["description"],
                    )
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(
                        request,
                        gettext("Kept “%(name)s” (%(type)s, %(size)s), SHA-256 %(sha256)s.")
                        % {
                            "name": item.original_name,
                            "type": evidence.type_label(item.blob.content_type),
                            "size": evidence.size_text(item.blob.size),
                            "sha256": item.blob.sha256,
                        },
                    )
                    return HttpResponseRedirect(self._change_url(source))
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": Source._meta,
            "original": source,
            "title": gettext("Keep a file for this source"),
            "form": form,
            "change_url": self._change_url(source),
            "evidence_limit": evidence.size_text(evidence.max_bytes()),
            "evidence_types": ", ".join(
                str(evidence.FILE_TYPES[t].label) for t in evidence.allowed_types()
            ),
        }
        return TemplateResponse(request, UPLOAD_TEMPLATE, context, status=status)

    def evidence_download_view(
        self, request: HttpRequest, object_id: str, file_id: int
    ) -> HttpResponse:
        source = self._source(request, object_id)
        if not selectors.can_see_evidence(request.user):
            raise PermissionDenied
        item = get_object_or_404(
            EvidenceFile.objects.select_related("blob"), pk=file_id, source=source
        )
        return evidence.download_response(
            storage_name=item.blob.storage_name,
            content_type=item.blob.content_type,
            filename=item.original_name,
            inline=False,
            public=False,
        )

    def evidence_public_view(
        self, request: HttpRequest, object_id: str, file_id: int
    ) -> HttpResponse:
        source = self._source(request, object_id)
        item = get_object_or_404(EvidenceFile, pk=file_id, source=source)
        public = request.POST.get("public") == "1"
        try:
            services.evidence_set_public(evidence_file=item, user=request.user, public=public)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            done = (
                gettext("“%(name)s” is now public.")
                if public
                else gettext("“%(name)s” is no longer public.")
            )
            messages.success(request, done % {"name": item.original_name})
        return HttpResponseRedirect(self._change_url(source))


@admin.register(EvidenceFile)
class EvidenceFileAdmin(SimpleHistoryAdmin):
    """Every kept file, searchable by its SHA-256: which source holds a file one has in
    hand. Read-only: files are kept, made public and removed on their source's page."""

    list_display = [
        "original_name",
        "source",
        "sha256",
        "type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "public",
    ]
    list_filter = ["public", "blob__content_type"]
    search_fields = ["=blob__sha256", "original_name", "description", "source__headline"]
    list_select_related = ["blob", "source", "uploaded_by"]
    fields = [
        "source",
        "original_name",
        "description",
        "sha256",
        "type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "public",
    ]
    readonly_fields = fields

    @admin.display(description=_("SHA-256"), ordering="blob__sha256")
    def sha256(self, obj: EvidenceFile) -> str:
        return obj.blob.sha256

    @admin.display(description=_("Type"))
    def type(self, obj: EvidenceFile) -> str:
        return evidence.type_label(obj.blob.content_type)

    @admin.display(description=_("Size"), ordering="blob__size")
    def size(self, obj: EvidenceFile) -> str:
        return evidence.size_text(obj.blob.size)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
