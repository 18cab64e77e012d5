"""The admin's import pages: upload, preview, confirm, with each role."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import ExternalRecord, ImportRun, ImportRunStatus, Incident

DATA = Path(__file__).parent / "data" / "imports"
ADD = reverse("admin:incidents_importrun_add")

# The groups get the import permissions from the migrations, as on any database.
pytestmark = pytest.mark.django_db


def _upload(client, path: Path, format: str = "acled", content: bytes | None = None):
    data = path.read_bytes() if content is None else content
    return client.post(
        ADD, {"format": format, "file": SimpleUploadedFile(path.name, data, "text/csv")}
    )


def _preview_url(run: ImportRun) -> str:
    return reverse("admin:incidents_importrun_preview", args=[run.pk])


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(ADD)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not ImportRun.objects.exists()


def test_staff_without_the_import_right_are_refused(client, db):
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(ADD).status_code == 403
    response = _upload(client, DATA / "acled_current.csv")
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_the_upload_page_offers_the_formats_that_load(client, researcher):
    client.force_login(researcher)
    response = client.get(ADD)
    assert response.status_code == 200
    choices = dict(response.context["form"].fields["format"].choices)
    assert {"acled", "ucdp"} <= set(choices)
    assert choices["acled"] == "ACLED CSV export"


def test_upload_preview_confirm(client, gazetteer_loaded, researcher):
    client.force_login(researcher)
    response = _upload(client, DATA / "acled_current.csv")
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == _preview_url(run)
    assert run.status == ImportRunStatus.PREVIEWED
    assert bytes(run.content) == (DATA / "acled_current.csv").read_bytes()
    assert run.created_by == researcher
    assert (run.report["created"], run.report["skipped"], run.report["failed"]) == (3, 2, 0)
    assert not Incident.objects.exists()  # the preview wrote nothing

    page = client.get(_preview_url(run))
    assert page.status_code == 200
    html = page.content.decode()
    assert "What importing will do" in html
    assert "Attack in Jableh" in html
    assert "outside Syria (Lebanon)" in html
    assert 'id="import-confirm"' in html
    assert "event_id_cnty" in html and "SYR1001" in html  # the file's first rows

    applied = client.post(_preview_url(run))
    assert applied.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRunStatus.APPLIED and run.applied_at is not None
    assert (run.report["created"], run.report["failed"]) == (3, 0)
    assert Incident.objects.count() == 3
    record = ExternalRecord.objects.get(external_id="SYR1001")
    assert record.import_run == run
    assert record.incident.history.get().history_user == researcher

    report_page = client.get(_preview_url(run)).content.decode()
    assert "What the import did" in report_page and 'id="import-confirm"' not in report_page
    assert "Imported acled_current.csv: 3 created" in report_page

    # Confirming again (a double click) imports nothing more.
    client.post(_preview_url(run))
    assert Incident.objects.count() == 3


def test_the_preview_lists_failed_rows_with_their_lines(client, gazetteer_loaded, reviewer):
    client.force_login(reviewer)
    _upload(client, DATA / "acled_bad.csv")
    run = ImportRun.objects.get()
    html = client.get(_preview_url(run)).content.decode()
    assert "Rows that will fail (5)" in html
    assert "<td>3</td><td>SYR3002</td><td>latitude: 95.1 is outside [-90, 90]</td>" in html
    client.post(_preview_url(run))
    assert Incident.objects.count() == 1
    html = client.get(_preview_url(run)).content.decode()
    assert "Rows that failed (5)" in html


def test_a_file_with_the_wrong_columns_is_refused_on_its_page(client, researcher):
    # The file is read by a background job (here run at once): its refusal is kept on the
    # run and shown on the run's page.
    client.force_login(researcher)
    response = _upload(client, DATA / "ucdp_ged.csv", format="acled")
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == _preview_url(run)
    html = client.get(_preview_url(run)).content.decode()
    assert 'id="import-refused"' in html
    assert "This is not an ACLED export" in html and "geo_precision" in html
    assert run.status == ImportRunStatus.FAILED
    assert "This is not an ACLED export" in run.report["refused"]
    # A refused run cannot be confirmed.
    client.post(_preview_url(run))
    assert not Incident.objects.exists()


def test_a_ucdp_file_through_the_admin(client, gazetteer_loaded, reviewer):
    client.force_login(reviewer)
    _upload(client, DATA / "ucdp_ged.csv", format="ucdp")
    run = ImportRun.objects.get()
    client.post(_preview_url(run))
    assert ExternalRecord.objects.filter(dataset="ucdp").count() == 2


def test_the_preview_lists_rows_taken_with_a_warning(client, gazetteer_loaded, reviewer):
    with (DATA / "ucdp_ged.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0].update(low="50")  # above the best (42): kept, the range put in order
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    client.force_login(reviewer)
    _upload(client, DATA / "ucdp_ged.csv", format="ucdp", content=out.getvalue().encode())
    html = client.get(_preview_url(ImportRun.objects.get())).content.decode()
    assert "Rows taken with a warning (1)" in html
    assert "<td>2</td><td>512345</td><td>low 50, best 42 and high 60 are not in order" in html


def test_text_from_the_file_is_escaped(client, gazetteer_loaded, researcher):
    with (DATA / "acled_current.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["location"] = "<b>Jableh</b>"
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    client.force_login(researcher)
    _upload(client, DATA / "acled_current.csv", content=out.getvalue().encode())
    html = client.get(_preview_url(ImportRun.objects.get())).content.decode()
    assert "&lt;b&gt;Jableh&lt;/b&gt;" in html and "<b>Jableh</b>" not in html


def test_a_researchers_import_leaves_published_incidents_to_reviewers(
    client, gazetteer_loaded, researcher, reviewer
):
    from incidents import services
    from incidents.imports import acled

    acled.import_file((DATA / "acled_current.csv").read_bytes())
    incident = ExternalRecord.objects.get(external_id="SYR1001").incident
    services.incident_publish(incident=incident, user=reviewer)
    with (DATA / "acled_current.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["fatalities"] = "30"
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    client.force_login(researcher)
    _upload(client, DATA / "acled_current.csv", content=out.getvalue().encode())
    run = ImportRun.objects.get()
    assert run.report["updated"] == 0
    assert any("only a reviewer may update it" in row["reason"] for row in run.report["preview"])
    client.post(_preview_url(run))
    assert Incident.objects.get(pk=incident.pk).killed_best == 12


def test_the_admin_index_and_incident_list_link_to_the_import(client, researcher):
    client.force_login(researcher)
    assert ADD in client.get(reverse("admin:index")).content.decode()
    assert ADD in client.get(reverse("admin:incidents_incident_changelist")).content.decode()


def test_the_list_of_runs(client, gazetteer_loaded, researcher):
    client.force_login(researcher)
    _upload(client, DATA / "acled_current.csv")
    page = client.get(reverse("admin:incidents_importrun_changelist"))
    assert page.status_code == 200
    assert "3 created, 0 updated, 2 skipped, 0 failed" in page.content.decode()
    run = ImportRun.objects.get()
    change = client.get(reverse("admin:incidents_importrun_change", args=[run.pk]))
    assert change.status_code == 302 and change["Location"] == _preview_url(run)
