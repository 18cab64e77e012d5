"""Keeping a file for a source in the admin: upload it on the source's page and read its
hash there."""

import hashlib
from pathlib import Path

import pytest

from incidents.models import EvidenceFile

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_researcher_uploads_a_file_on_the_source_page_and_sees_its_hash(
    page, live_server, researcher, source, artifacts, tmp_path
):
    saved = tmp_path / "article-as-saved.pdf"
    saved.write_bytes(PDF)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", researcher.username)
    page.fill("#id_password", f"pw-{researcher.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/incidents/source/{source.pk}/change/")

    form = page.locator("[data-evidence-upload]")
    form.locator("input[type=file]").set_input_files(str(saved))
    form.locator("input[name=description]").fill("The article as saved")
    form.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/incidents/source/{source.pk}/change/#evidence")

    digest = hashlib.sha256(PDF).hexdigest()
    row = page.locator("[data-evidence-file]")
    assert row.count() == 1
    assert row.locator("[data-evidence-sha256]").inner_text() == digest
    assert "PDF document" in row.inner_text()
    assert researcher.username in row.inner_text()
    assert digest in page.locator(".messagelist").inner_text()
    page.screenshot(path=str(artifacts / "admin-evidence-upload.png"), full_page=True)

    # The download link gives back the very bytes.
    with page.expect_download() as download_info:
        row.locator("[data-evidence-download]").click()
    download = download_info.value
    assert download.suggested_filename == "article-as-saved.pdf"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == digest

    item = EvidenceFile.objects.get()
    assert item.uploaded_by == researcher
    assert page.errors == []
    assert page.console_errors == []
