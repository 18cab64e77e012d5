"""A job's page in the admin follows the job live (job_progress.js polling its JSON view,
under the site's CSP), then shows the report when it ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Job, JobKind, JobState

pytestmark = pytest.mark.browser


def test_the_job_page_updates_while_open_and_shows_the_report(
    page, live_server, researcher, artifacts
):
    now = timezone.now()
    job = Job.objects.create(
        kind=JobKind.KEEP_DOCUMENTS,
        created_by=researcher,
        task_id="t",
        state=JobState.RUNNING,
        started_at=now,
        heartbeat_at=now,
        phase="documents",
        phase_started_at=now - timedelta(seconds=10),
        done=1_000,
        total=100_000,
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", researcher.username)
    page.fill("#id_password", f"pw-{researcher.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/incidents/job/{job.pk}/change/")
    assert page.inner_text("#job-counted") == "1,000 of 100,000"

    # The worker moves on: the open page follows without a reload.
    Job.objects.filter(pk=job.pk).update(done=60_000, heartbeat_at=timezone.now())
    # (A locator, not wait_for_function: the CSP forbids evaluating strings.)
    page.locator("#job-counted", has_text="60,000 of 100,000").wait_for(timeout=15_000)
    assert page.locator("#job-bar").evaluate("bar => bar.value") == 60
    assert "a second" in page.inner_text("#job-rate")
    assert "left" in page.inner_text("#job-left")
    page.screenshot(path=str(artifacts / "admin-job-progress.png"), full_page=False)

    # It ends: the page reloads itself and shows the report.
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE,
        done=100_000,
        finished_at=timezone.now(),
        report={"summary": "100000 documents kept."},
    )
    page.locator("#job-report").wait_for(timeout=15_000)
    assert page.inner_text("#job-report") == "100000 documents kept."
    assert page.inner_text("#job-state") == "Done"
    assert page.errors == [] and page.console_errors == []
