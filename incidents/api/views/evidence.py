"""A source's evidence files: list, upload (multipart), one file, mark public, download.

The source is addressed by its slug among the sources the client may see (never a
confidential one: their files are kept and read in the admin only). Researchers and
reviewers see every file of such a source and download the original; everybody else sees
only the files a reviewer made public, through their public address. Uploads are read once
by the services: hash, size, type from the content.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import evidence, selectors, services
from incidents.models import EvidenceFile, Source

from ..fields import StrictSerializer
from .base import ERRORS, READ_ERRORS, ApiView

# Room in a multipart body for its boundaries and the description, beside the file.
MULTIPART_OVERHEAD = 64 * 1024


class EvidenceFileSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the bytes, in hex.")
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")
    content_type = serializers.CharField(
        read_only=True, help_text="Read from the content, not from the name."
    )
    description = serializers.CharField(read_only=True)
    public = serializers.BooleanField(read_only=True)
    public_url = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Where anyone may fetch it (images without their metadata); null while "
        "it is not public.",
    )
    original_name = serializers.CharField(
        read_only=True, required=False, help_text="Researchers and reviewers only."
    )
    uploaded_by = serializers.CharField(
        read_only=True, allow_null=True, required=False, help_text="Researchers and reviewers only."
    )
    uploaded_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.CharField(
        read_only=True, required=False, help_text="The original; researchers and reviewers only."
    )


class EvidenceUploadSerializer(StrictSerializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class EvidencePublicSerializer(StrictSerializer):
    public = serializers.BooleanField()


def _document(item: EvidenceFile, request: Request) -> dict[str, Any]:
    blob = item.blob
    shown_publicly = item.public and not item.source.confidential
    data: dict[str, Any] = {
        "id": item.pk,
        "sha256": blob.sha256,
        "size": blob.size,
        "content_type": blob.content_type,
        "description": item.description,
        "public": shown_publicly,
        "public_url": request.build_absolute_uri(
            reverse("incidents:evidence-file", args=[item.token])
        )
        if shown_publicly
        else None,
        "uploaded_at": item.uploaded_at,
    }
    if selectors.can_see_evidence(request.user):
        data["public"] = item.public
        data["original_name"] = item.original_name
        data["uploaded_by"] = item.uploaded_by.get_username() if item.uploaded_by else None
        data["download_url"] = request.build_absolute_uri(
            reverse("api:evidence-download", args=[item.source.slug, item.pk])
        )
    return data


def _source(request: Request, slug: str) -> Source:
    return get_object_or_404(selectors.source_queryset(user=request.user), slug=slug)


def _file(request: Request, slug: str, file_id: int) -> EvidenceFile:
    source = _source(request, slug)
    return get_object_or_404(
        selectors.evidence_files_of(source=source, user=request.user), pk=file_id
    )


class EvidenceListView(ApiView):
    def get_parsers(self) -> list[Any]:
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def body_limit(self) -> int:
        return evidence.max_bytes() + MULTIPART_OVERHEAD

    @extend_schema(
        operation_id="sources_files_list",
        responses={200: EvidenceFileSerializer(many=True), **READ_ERRORS},
        description="A source's evidence files: every one for researchers and reviewers, "
        "the public ones for everybody else.",
    )
    def get(self, request: Request, slug: str) -> Response:
        source = _source(request, slug)
        files = selectors.evidence_files_of(source=source, user=request.user)
        return Response([_document(item, request) for item in files])

    @extend_schema(
        operation_id="sources_files_create",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: EvidenceFileSerializer,
            **ERRORS,
            415: OpenApiResponse(description="The body is not multipart/form-data."),
        },
        description="Keep a file for the source (researchers and reviewers). Its SHA-256, "
        "size and type (read from its content: PDF, HTML, JPEG, PNG, GIF, WebP, MP4, "
        "QuickTime, WebM, Matroska) are recorded with who uploaded it. A type not accepted "
        "or a file over the size limit is a 400 on `file`; a body over the limit is a 413. "
        "The same bytes already kept are linked, not stored twice. The file is not public.",
    )
    def post(self, request: Request, slug: str) -> Response:
        source = _source(request, slug)
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.evidence_attach(
            source=source,
            user=request.user,
            upload=serializer.validated_data["file"],
            description=serializer.validated_data.get("description", ""),
        )
        return Response(_document(item, request), status=status.HTTP_201_CREATED)


class EvidenceDetailView(ApiView):
    @extend_schema(
        operation_id="sources_files_retrieve",
        responses={200: EvidenceFileSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, slug: str, file_id: int) -> Response:
        return Response(_document(_file(request, slug, file_id), request))


class EvidencePublicView(ApiView):
    @extend_schema(
        operation_id="sources_files_public",
        request=EvidencePublicSerializer,
        responses={200: EvidenceFileSerializer, **ERRORS},
        description="Reviewers only: make the file public or not. A confidential source's "
        "file is never public; an image's public copy has no metadata (no GPS position).",
    )
    def post(self, request: Request, slug: str, file_id: int) -> Response:
        item = _file(request, slug, file_id)
        serializer = EvidencePublicSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.evidence_set_public(
            evidence_file=item, user=request.user, public=serializer.validated_data["public"]
        )
        return Response(_document(item, request))


class EvidenceDownloadView(ApiView):
    @extend_schema(
        operation_id="sources_files_download",
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The original file, as an attachment."
            ),
            **READ_ERRORS,
        },
        description="Researchers and reviewers: the original file. Everybody else fetches "
        "a public file at its `public_url`.",
    )
    def get(self, request: Request, slug: str, file_id: int) -> HttpResponse:
        if not selectors.can_see_evidence(request.user):
            raise Http404
        item = _file(request, slug, file_id)
        return evidence.download_response(
            storage_name=item.blob.storage_name,
            content_type=item.blob.content_type,
            filename=item.original_name,
            inline=False,
            public=False,
        )
