"""Evidence files: hash, size and type read from the content, limits, one copy per hash,
who may upload, download and make public, confidential sources never public, and public
images without their location metadata."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from incidents import evidence, selectors, services
from incidents.models import EvidenceBlob, EvidenceFile, Incident, Source

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"\xef\xbb\xbf\n  <!DOCTYPE html><html><head><title>Report</title></head></html>"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def gps_jpeg() -> bytes:
    """A photo as a phone takes it: EXIF with a GPS position (Jableh) and a camera."""
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation: upright
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 21.0, 36.0)
    gps[3] = "E"
    gps[4] = (35.0, 55.0, 12.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def upload(data: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def attach(source: Source, user: User | None, data: bytes, name: str = "file.bin", **extra):
    return services.evidence_attach(source=source, user=user, upload=upload(data, name), **extra)


# --- what an upload is ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF, "application/pdf"),
        (HTML, "text/html"),
        (b"<html lang='en'><body>x</body></html>", "text/html"),
        (b"<!-- saved from url=(0042)https://example.org -->\n<html>", "text/html"),
        (
            b"From: <Saved by Blink>\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\r\n--b',
            "multipart/related",
        ),
        (b"MIME-Version: 1.0\nContent-Type: text/plain\n\nan e-mail", None),
        (b"WARC/1.1\r\nWARC-Type: warcinfo\r\n", "application/warc"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (PNG_SIGNATURE + b"\x00\x00\x00\rIHDR", "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows program
        (b"PK\x03\x04\x14\x00", None),  # a zip archive (or an office document)
        (b"#!/bin/sh\nrm -rf /\n", None),
        (b"<htmlfoo>", None),
        (b"just some text", None),
        (b"\x00\x00\x00\x20ftypM4A \x00", None),  # audio only
    ],
)
def test_the_type_is_read_from_the_first_bytes(head, expected):
    assert evidence.sniff(head) == expected


def test_an_upload_records_hash_size_type_uploader_and_time(source, researcher, evidence_root):
    item = attach(source, researcher, PDF, name="report.jpg", description="the report as saved")

    item.refresh_from_db()
    assert item.blob.sha256 == hashlib.sha256(PDF).hexdigest()
    assert item.blob.size == len(PDF)
    # Named .jpg, sent as application/octet-stream: the content says PDF.
    assert item.blob.content_type == "application/pdf"
    assert item.uploaded_by == researcher
    assert item.uploaded_at is not None
    assert item.original_name == "report.jpg"
    assert item.description == "the report as saved"
    assert item.public is False
    [stored] = stored_files(evidence_root)
    assert stored.read_bytes() == PDF
    # The name in the storage is random (128 bits), with no extension and nothing of the
    # original name.
    assert stored.relative_to(evidence_root).as_posix() == item.blob.storage_name
    assert len(stored.name) == 32
    assert "report" not in item.blob.storage_name


def test_a_type_not_accepted_is_a_field_error_and_nothing_is_kept(
    source, researcher, evidence_root
):
    with pytest.raises(ValidationError) as refused:
        attach(source, researcher, b"MZ\x90\x00" + b"\x00" * 200, name="report.pdf")
    assert "file" in refused.value.message_dict
    assert "not accepted" in refused.value.message_dict["file"][0]
    assert "PDF document" in refused.value.message_dict["file"][0]
    assert stored_files(evidence_root) == []
    assert not EvidenceBlob.objects.exists()
    assert not EvidenceFile.objects.exists()


def test_the_accepted_types_can_be_narrowed_in_settings(source, researcher, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "EVIDENCE_TYPES": ["application/pdf"]}
    attach(source, researcher, PDF)
    with pytest.raises(ValidationError) as refused:
        attach(source, researcher, gps_jpeg())
    assert "file" in refused.value.message_dict


def test_an_empty_file_is_refused(source, researcher):
    with pytest.raises(ValidationError) as refused:
        attach(source, researcher, b"")
    assert refused.value.message_dict["file"] == ["The file is empty."]


# --- limits ---------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_a_clear_error_and_nothing_is_written(
    source, researcher, settings, evidence_root
):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "EVIDENCE_MAX_BYTES": 1000}
    attach(source, researcher, PDF + b"%" * (1000 - len(PDF)))  # exactly the limit: kept
    assert len(stored_files(evidence_root)) == 1

    with pytest.raises(ValidationError) as refused:
        attach(source, researcher, PDF + b"%" * (1001 - len(PDF)))
    [message] = refused.value.message_dict["file"]
    assert "larger than the 1000 B accepted" in message
    assert "1,000 bytes at most" in message
    assert len(stored_files(evidence_root)) == 1
    assert EvidenceBlob.objects.count() == 1


def test_the_size_is_counted_not_taken_from_the_client(source, researcher, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "EVIDENCE_MAX_BYTES": 1000}
    lying = upload(PDF + b"%" * 5000, "small.pdf")
    lying.size = 10  # what the client declared
    with pytest.raises(ValidationError) as refused:
        services.evidence_attach(source=source, user=researcher, upload=lying)
    assert "larger than" in refused.value.message_dict["file"][0]
    assert not EvidenceBlob.objects.exists()


def test_a_failed_write_takes_the_stored_file_back(source, researcher, evidence_root):
    with pytest.raises(ValidationError) as refused:
        attach(source, researcher, PDF, description="x" * 501)
    assert "description" in refused.value.message_dict
    assert stored_files(evidence_root) == []
    assert not EvidenceBlob.objects.exists()


# --- one copy a hash ------------------------------------------------------------------------


def test_the_same_bytes_are_stored_once_and_linked_twice(
    source, news_source, researcher, reviewer, evidence_root
):
    first = attach(source, researcher, PDF, name="a.pdf")
    second = attach(news_source, reviewer, PDF, name="copy-of-a.pdf")

    assert first.blob_id == second.blob_id
    assert EvidenceBlob.objects.count() == 1
    assert len(stored_files(evidence_root)) == 1
    assert second.uploaded_by == reviewer
    assert second.original_name == "copy-of-a.pdf"


def test_the_same_file_twice_for_one_source_is_a_field_error(source, researcher, evidence_root):
    attach(source, researcher, PDF, name="a.pdf")
    with pytest.raises(ValidationError) as refused:
        attach(source, researcher, PDF, name="b.pdf")
    [message] = refused.value.message_dict["file"]
    assert "already kept for this source" in message
    assert hashlib.sha256(PDF).hexdigest() in message
    assert EvidenceFile.objects.count() == 1
    assert len(stored_files(evidence_root)) == 1


def test_removing_the_last_link_removes_the_bytes_reviewers_only(
    source, news_source, researcher, reviewer, evidence_root, django_capture_on_commit_callbacks
):
    first = attach(source, researcher, PDF)
    second = attach(news_source, researcher, PDF)
    with pytest.raises(PermissionDenied):
        services.evidence_remove(evidence_file=first, user=researcher)

    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence_file=first, user=reviewer)
    assert len(stored_files(evidence_root)) == 1  # the other source still links to it
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence_file=second, user=reviewer)
    assert stored_files(evidence_root) == []
    assert not EvidenceBlob.objects.exists()
    # The history says who removed it.
    removed = EvidenceFile.history.filter(id=second.pk, history_type="-").get()
    assert removed.history_user == reviewer


# --- who may do what ------------------------------------------------------------------------


def test_only_researchers_and_reviewers_may_upload(source, db):
    outsider = User.objects.create_user("outsider", password="pw-outsider", is_staff=True)
    with pytest.raises(PermissionDenied):
        attach(source, outsider, PDF)
    assert not EvidenceBlob.objects.exists()


def test_only_a_reviewer_makes_a_file_public(source, researcher, reviewer):
    item = attach(source, researcher, PDF)
    with pytest.raises(PermissionDenied):
        services.evidence_set_public(evidence_file=item, user=researcher, public=True)
    item.refresh_from_db()
    assert item.public is False

    services.evidence_set_public(evidence_file=item, user=reviewer, public=True)
    item.refresh_from_db()
    assert item.public is True
    with pytest.raises(PermissionDenied):
        services.evidence_set_public(evidence_file=item, user=researcher, public=False)
    # The link rows keep their history, with the user.
    history = list(EvidenceFile.history.filter(id=item.pk).order_by("history_date"))
    assert [(h.public, h.history_user) for h in history] == [
        (False, researcher),
        (True, reviewer),
    ]
    assert history[-1].history_change_reason == "Marked public"


def test_a_confidential_sources_file_is_never_public(
    source, researcher, reviewer, client, published_with_source
):
    source.confidential = True
    source.save()
    item = attach(source, researcher, PDF)
    with pytest.raises(ValidationError) as refused:
        services.evidence_set_public(evidence_file=item, user=reviewer, public=True)
    assert "never public" in refused.value.message_dict["public"][0]

    # Even marked public by a path around the services (or marked before the source
    # became confidential), no door shows it.
    EvidenceFile.objects.filter(pk=item.pk).update(public=True)
    assert not selectors.public_evidence_files().filter(pk=item.pk).exists()
    assert client.get(f"/evidence/{item.token}/").status_code == 404
    assert client.get(f"{API}/sources/{source.slug}/files/").status_code == 404
    page = client.get(f"/incidents/{published_with_source.public_id}/").content.decode()
    assert str(item.token) not in page
    assert item.blob.sha256 not in page
    for export in ("incidents.csv", "incidents.geojson", "incidents.acled.csv"):
        response = client.get(f"{API}/{export}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert str(item.token).encode() not in body
        assert item.blob.sha256.encode() not in body


@pytest.fixture
def published_with_source(source, reviewer, researcher) -> Incident:
    """A published incident citing ``source``, so the public sees the source."""
    from tests.conftest import incident_fields

    incident = services.incident_create(
        user=researcher,
        claims=[{"source": source, "killed_min": 7, "quote": "At least 7 were killed."}],
        **incident_fields(),
    )
    incident = services.incident_submit_for_review(
        incident=incident, user=researcher, expected_version=incident.version
    )
    return services.incident_publish(
        incident=incident, user=reviewer, expected_version=incident.version
    )


# --- what the public gets -------------------------------------------------------------------


def test_a_public_image_is_served_without_its_location_metadata(
    source, researcher, reviewer, client, published_with_source
):
    photo = gps_jpeg()
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(0x8825)  # the photo does carry a GPS position
    item = attach(source, researcher, photo, name="witness-photo.jpg")
    assert client.get(f"/evidence/{item.token}/").status_code == 404  # not public yet

    services.evidence_set_public(evidence_file=item, user=reviewer, public=True)
    response = client.get(f"/evidence/{item.token}/")
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg"
    assert "witness-photo" not in response["Content-Disposition"]
    assert response["Content-Security-Policy"].startswith("sandbox")
    with Image.open(io.BytesIO(served)) as public:
        assert public.format == "JPEG"
        assert public.size == (40, 30)
        assert dict(public.getexif()) == {}
        assert "exif" not in public.info
    assert b"Exif" not in served
    assert b"PhoneMaker" not in served
    # The original, with its metadata, is kept as it was for researchers.
    client.force_login(researcher)
    original = client.get(f"/admin/incidents/source/{source.pk}/evidence/{item.pk}/download/")
    assert b"".join(original.streaming_content) == photo


def test_a_public_image_is_turned_upright_before_its_orientation_tag_goes():
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    copy = evidence.public_image_copy(out.getvalue(), "image/jpeg")
    with Image.open(io.BytesIO(copy)) as upright:
        assert upright.size == (20, 40)
        assert dict(upright.getexif()) == {}


def test_png_text_and_exif_chunks_are_dropped_from_the_public_copy():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "35.36N 35.93E")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(out, format="PNG", pnginfo=info, exif=exif)
    assert b"35.36N" in out.getvalue()
    copy = evidence.public_image_copy(out.getvalue(), "image/png")
    assert b"35.36N" not in copy
    assert b"PhoneMaker" not in copy
    assert copy.startswith(PNG_SIGNATURE)


def test_an_image_that_cannot_be_read_cannot_be_made_public(source, researcher, reviewer):
    item = attach(source, researcher, b"\xff\xd8\xff\xe0" + b"\x00" * 100, name="broken.jpg")
    with pytest.raises(ValidationError) as refused:
        services.evidence_set_public(evidence_file=item, user=reviewer, public=True)
    assert "public" in refused.value.message_dict
    item.refresh_from_db()
    assert item.public is False


def test_an_image_marked_public_without_its_clean_copy_is_never_served(
    source, researcher, client, published_with_source
):
    item = attach(source, researcher, gps_jpeg())
    EvidenceFile.objects.filter(pk=item.pk).update(public=True)  # around the services
    assert client.get(f"/evidence/{item.token}/").status_code == 404


def test_a_public_pdf_is_an_attachment_under_a_neutral_name(
    source, researcher, reviewer, client, published_with_source
):
    item = attach(source, researcher, PDF, name="witness-ahmad.pdf")
    services.evidence_set_public(evidence_file=item, user=reviewer, public=True)
    response = client.get(f"/evidence/{item.token}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert "ahmad" not in response["Content-Disposition"]
    services.evidence_set_public(evidence_file=item, user=reviewer, public=False)
    assert client.get(f"/evidence/{item.token}/").status_code == 404


def test_a_source_the_public_does_not_see_shows_no_file(source, researcher, reviewer, client):
    """Public, but the source is cited by no published work yet: not served."""
    item = attach(source, researcher, PDF)
    services.evidence_set_public(evidence_file=item, user=reviewer, public=True)
    assert client.get(f"/evidence/{item.token}/").status_code == 404


def test_the_public_incident_page_lists_the_public_files_of_its_sources(
    source, researcher, reviewer, client, published_with_source, django_assert_max_num_queries
):
    shown = attach(source, researcher, PDF, description="the report as saved")
    hidden = attach(source, researcher, HTML)
    services.evidence_set_public(evidence_file=shown, user=reviewer, public=True)

    page = client.get(f"/incidents/{published_with_source.public_id}/").content.decode()
    assert f"/evidence/{shown.token}/" in page
    assert shown.blob.sha256 in page
    assert "the report as saved" in page
    assert str(hidden.token) not in page
    assert hidden.blob.sha256 not in page
    with django_assert_max_num_queries(20):
        client.get(f"/incidents/{published_with_source.public_id}/")


# --- downloads by signed-in users -----------------------------------------------------------


def test_downloads_in_the_admin_check_the_permission(source, researcher, client):
    item = attach(source, researcher, HTML, name="article.html")
    address = f"/admin/incidents/source/{source.pk}/evidence/{item.pk}/download/"

    anonymous = client.get(address)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    outsider = User.objects.create_user("outsider", password="pw-outsider", is_staff=True)
    client.force_login(outsider)
    assert client.get(address).status_code in (403, 404)

    client.force_login(researcher)
    response = client.get(address)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == HTML
    # A saved page keeps its scripts: it is never shown in the admin's origin.
    assert response["Content-Disposition"].startswith('attachment; filename="article.html"')
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response["Cache-Control"]


def test_a_file_is_downloaded_only_through_its_own_source(source, news_source, researcher, client):
    item = attach(source, researcher, PDF)
    client.force_login(researcher)
    wrong = f"/admin/incidents/source/{news_source.pk}/evidence/{item.pk}/download/"
    assert client.get(wrong).status_code == 404


# --- the admin source page ------------------------------------------------------------------


def test_the_admin_source_page_lists_files_with_hash_size_type_uploader_and_download(
    source, researcher, client, django_assert_num_queries
):
    item = attach(source, researcher, PDF, name="report.pdf")
    client.force_login(researcher)
    page = client.get(f"/admin/incidents/source/{source.pk}/change/").content.decode()
    # The same number of queries with one file or three.
    with CaptureQueriesContext(connection) as one:
        client.get(f"/admin/incidents/source/{source.pk}/change/")
    attach(source, researcher, HTML)
    attach(source, researcher, gps_jpeg())
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(f"/admin/incidents/source/{source.pk}/change/")
    assert item.blob.sha256 in page
    assert "PDF document" in page
    assert f"{len(PDF)} B" in page
    assert researcher.username in page
    assert f"/admin/incidents/source/{source.pk}/evidence/{item.pk}/download/" in page
    # No address of the storage, nor a media URL, appears.
    assert item.blob.storage_name not in page
    assert "/media/" not in page
    # A researcher has no button to make it public.
    assert "Make public" not in page


def test_a_researcher_uploads_on_the_admin_page_of_a_source_published_work_cites(
    source, researcher, client, published_with_source, evidence_root
):
    client.force_login(researcher)
    response = client.post(
        f"/admin/incidents/source/{source.pk}/evidence/upload/",
        {"file": upload(PDF, "report.pdf"), "description": "as saved"},
    )
    assert response.status_code == 302
    item = EvidenceFile.objects.get()
    assert item.uploaded_by == researcher
    assert len(stored_files(evidence_root)) == 1


def test_an_upload_refused_in_the_admin_says_why_on_the_field(
    source, researcher, client, evidence_root
):
    client.force_login(researcher)
    response = client.post(
        f"/admin/incidents/source/{source.pk}/evidence/upload/",
        {"file": upload(b"MZ\x90\x00 program", "report.pdf", "application/pdf")},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "not accepted" in form.errors["file"][0]
    assert stored_files(evidence_root) == []


def test_a_researcher_cannot_make_a_file_public_in_the_admin(source, researcher, client):
    item = attach(source, researcher, PDF)
    client.force_login(researcher)
    response = client.post(
        f"/admin/incidents/source/{source.pk}/evidence/{item.pk}/public/", {"public": "1"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.public is False


def test_a_reviewer_makes_a_file_public_in_the_admin(source, researcher, reviewer, client):
    item = attach(source, researcher, PDF)
    client.force_login(reviewer)
    page = client.get(f"/admin/incidents/source/{source.pk}/change/").content.decode()
    assert "Make public" in page
    response = client.post(
        f"/admin/incidents/source/{source.pk}/evidence/{item.pk}/public/", {"public": "1"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.public is True


# --- the API --------------------------------------------------------------------------------


def test_api_upload_list_and_download_for_researchers(
    source, researcher, client, evidence_root, django_assert_max_num_queries
):
    client.force_login(researcher)
    response = client.post(
        f"{API}/sources/{source.slug}/files/",
        {"file": upload(PDF, "report.png", "image/png"), "description": "as saved"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["size"] == len(PDF)
    assert body["content_type"] == "application/pdf"
    assert body["uploaded_by"] == researcher.username
    assert body["public"] is False and body["public_url"] is None
    attach(source, researcher, HTML)
    with django_assert_max_num_queries(8):
        listed = client.get(f"{API}/sources/{source.slug}/files/").json()
    assert listed[0]["id"] == body["id"]
    assert len(listed) == 2
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_api_refusals_name_the_field(source, researcher, client, settings):
    client.force_login(researcher)
    address = f"{API}/sources/{source.slug}/files/"
    refused = client.post(address, {"file": upload(b"just text", "a.pdf", "application/pdf")})
    assert refused.status_code == 400
    assert "not accepted" in refused.json()["file"][0]
    missing = client.post(address, {"description": "no file"})
    assert missing.status_code == 400 and "file" in missing.json()
    as_json = client.post(address, {"description": "x"}, content_type="application/json")
    assert as_json.status_code == 415

    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "EVIDENCE_MAX_BYTES": 100}
    too_large = client.post(address, {"file": upload(PDF * 4, "a.pdf")})
    assert too_large.status_code == 400
    assert "larger than the 100 B accepted" in too_large.json()["file"][0]
    body = client.post(address, {"file": upload(PDF * 4000, "a.pdf")})
    assert body.status_code == 413
    assert not EvidenceBlob.objects.exists()


def test_api_only_a_reviewer_makes_a_file_public(source, researcher, reviewer, client):
    item = attach(source, researcher, PDF)
    address = f"{API}/sources/{source.slug}/files/{item.pk}/public/"
    client.force_login(researcher)
    refused = client.post(address, {"public": True}, content_type="application/json")
    assert refused.status_code == 403
    client.force_login(reviewer)
    done = client.post(address, {"public": True}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["public"] is True


def test_api_anonymous_readers_see_public_files_only_without_who_or_names(
    source, researcher, reviewer, client, published_with_source
):
    shown = attach(source, researcher, PDF, name="witness-ahmad.pdf")
    hidden = attach(source, researcher, HTML)
    services.evidence_set_public(evidence_file=shown, user=reviewer, public=True)

    listed = client.get(f"{API}/sources/{source.slug}/files/").json()
    assert [f["id"] for f in listed] == [shown.pk]
    [document] = listed
    assert document["public_url"].endswith(f"/evidence/{shown.token}/")
    assert "uploaded_by" not in document
    assert "original_name" not in document
    assert "download_url" not in document
    assert client.get(f"{API}/sources/{source.slug}/files/{hidden.pk}/").status_code == 404
    download = f"{API}/sources/{source.slug}/files/{shown.pk}/download/"
    assert client.get(download).status_code == 404


def test_api_never_reaches_a_confidential_sources_files(source, researcher, client):
    source.confidential = True
    source.save()
    item = attach(source, researcher, PDF)
    client.force_login(researcher)
    assert client.get(f"{API}/sources/{source.slug}/files/").status_code == 404
    assert client.get(f"{API}/sources/{source.slug}/files/{item.pk}/download/").status_code == 404


# --- storage settings -----------------------------------------------------------------------


def _storage_of(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment.update(env)
    script = (
        "import django; django.setup(); "
        "from django.core.files.storage import storages; s = storages['evidence']; "
        "print(type(s).__name__, getattr(s, 'bucket_name', ''), getattr(s, 'default_acl', ''), "
        "getattr(s, 'location', ''), getattr(s, 'endpoint_url', ''), "
        "getattr(s, 'file_overwrite', ''), sep='|')"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_evidence_is_kept_outside_every_served_folder_by_default(tmp_path):
    result = _storage_of()
    assert result.returncode == 0, result.stderr
    name, _bucket, _acl, location, _endpoint, _overwrite = result.stdout.strip().split("|")
    assert name == "FileSystemStorage"
    assert Path(location) == ROOT / "var" / "evidence"
    moved = _storage_of(EVIDENCE_ROOT=str(tmp_path / "kept"))
    assert moved.stdout.split("|")[3] == str(tmp_path / "kept")


def test_s3_compatible_storage_is_private_and_configured_from_the_environment():
    result = _storage_of(
        EVIDENCE_STORAGE="s3",
        EVIDENCE_S3_BUCKET="evidence-bucket",
        EVIDENCE_S3_ENDPOINT_URL="https://objects.example.org",
        EVIDENCE_S3_PREFIX="kept",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "S3Storage",
        "evidence-bucket",
        "private",
        "kept",
        "https://objects.example.org",
        "False",
    ]
    missing = _storage_of(EVIDENCE_STORAGE="s3")
    assert missing.returncode != 0
    assert "EVIDENCE_S3_BUCKET" in missing.stderr


# --- proving later what was kept ------------------------------------------------------------


def test_verify_evidence_finds_changed_missing_and_unrecorded_files(
    source, researcher, evidence_root
):
    from django.core.management import CommandError, call_command

    kept = attach(source, researcher, PDF)
    out = io.StringIO()
    call_command("verify_evidence", stdout=out)
    assert "1 evidence file(s) checked, 0 problem(s), 0 unrecorded" in out.getvalue()

    stray = evidence_root / "ab" / "left-by-a-failed-upload"
    # The kept file's random name may have put it in the same folder (one time in 256).
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"x")
    (evidence_root / kept.blob.storage_name).write_bytes(PDF + b"tampered")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_evidence", "--delete-orphans", stdout=out, stderr=err)
    assert f"CHANGED {kept.blob.sha256}" in err.getvalue()
    assert "deleted unrecorded file ab/left-by-a-failed-upload" in out.getvalue()
    assert not stray.exists()

    (evidence_root / kept.blob.storage_name).unlink()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_evidence", stdout=io.StringIO(), stderr=err)
    assert f"MISSING {kept.blob.sha256}" in err.getvalue()


def test_a_file_in_hand_is_found_by_its_hash_in_the_admin(source, news_source, researcher, client):
    kept = attach(source, researcher, PDF, name="report.pdf")
    attach(news_source, researcher, HTML, name="other.html")
    client.force_login(researcher)
    listing = client.get(f"/admin/incidents/evidencefile/?q={hashlib.sha256(PDF).hexdigest()}")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "report.pdf" in page and "other.html" not in page
    assert kept.blob.sha256 in page
    history = client.get(f"/admin/incidents/evidencefile/{kept.pk}/history/")
    assert history.status_code == 200
    assert researcher.username in history.content.decode()


def test_an_unknown_type_in_evidence_types_stops_the_check():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    run = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**environment, "EVIDENCE_TYPES": "application/pdf,image/tiff"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0
    assert "incidents.E001" in run.stderr and "image/tiff" in run.stderr
