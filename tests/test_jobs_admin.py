"""The admin's background jobs: confirming twice, the progress view, cancel, resume, start.

Where the behaviour is about what is queued, the jobs go to the database backend and the
queued entries are then run here, as a worker would call them (a worker loop cannot run
inside a test's transaction: it closes the connection between tasks); elsewhere they run at
once (the immediate backend, see conftest). Real worker processes are in
test_jobs_worker.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from incidents import jobs
from incidents.models import ImportRun, ImportRunStatus, Incident, Job, JobKind, JobState

DATA = Path(__file__).parent / "data" / "imports"
ADD = reverse("admin:incidents_importrun_add")
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

pytestmark = pytest.mark.django_db


def _run_queue() -> int:
    """Run every queued entry with its stored arguments; how many there were."""
    entries = list(DBTaskResult.objects.ready().order_by("enqueued_at"))
    for entry in entries:
        result = entry.task_result
        entry.task.call(*result.args, **result.kwargs)
    return len(entries)


def _preview_url(run: ImportRun) -> str:
    return reverse("admin:incidents_importrun_preview", args=[run.pk])


def _previewed_run(client) -> ImportRun:
    data = (DATA / "acled_current.csv").read_bytes()
    client.post(ADD, {"format": "acled", "file": SimpleUploadedFile("a.csv", data, "text/csv")})
    run = ImportRun.objects.get()
    assert run.status == ImportRunStatus.PREVIEWED
    return run


def test_two_confirms_queue_one_apply_and_the_file_is_applied_once(
    client, gazetteer_loaded, researcher, settings
):
    client.force_login(researcher)
    run = _previewed_run(client)
    settings.TASKS = DATABASE_QUEUE  # queued for a worker from here on

    first = client.post(_preview_url(run))
    second = client.post(_preview_url(run), follow=True)
    assert first.status_code == 302
    assert "already applied or refused" in second.content.decode()
    run.refresh_from_db()
    assert run.status == ImportRunStatus.APPLYING
    applies = Job.objects.filter(kind=JobKind.IMPORT_APPLY)
    assert applies.count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert not Incident.objects.exists()  # nothing written in the requests

    # While it waits, the run's page shows the job, polled by an external script.
    html = client.get(_preview_url(run)).content.decode()
    assert 'id="job-progress"' in html and 'id="import-confirm"' not in html
    assert "job_progress.js" in html and "<script>" not in html

    assert _run_queue() == 1
    run.refresh_from_db()
    assert run.status == ImportRunStatus.APPLIED
    assert applies.get().state == JobState.DONE
    assert Incident.objects.count() == 3
    html = client.get(_preview_url(run)).content.decode()
    assert "Imported a.csv: 3 created" in html


def test_the_upload_queues_the_check_and_returns_at_once(client, researcher, settings):
    settings.TASKS = DATABASE_QUEUE
    client.force_login(researcher)
    data = (DATA / "acled_current.csv").read_bytes()
    response = client.post(
        ADD, {"format": "acled", "file": SimpleUploadedFile("a.csv", data, "text/csv")}
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert run.status == ImportRunStatus.CHECKING and run.report == {}
    job = Job.objects.get(import_run=run)
    assert job.kind == JobKind.IMPORT_CHECK and job.state == JobState.QUEUED and job.task_id
    html = client.get(_preview_url(run)).content.decode()
    assert "Checking the file" in html and 'id="import-confirm"' not in html


def _running(user, **fields) -> Job:
    job = Job.objects.create(kind=JobKind.KEEP_DOCUMENTS, created_by=user, task_id="t")
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        started_at=now - timedelta(seconds=20),
        heartbeat_at=now,
        phase="write",
        phase_started_at=now - timedelta(seconds=20),
        **fields,
    )
    return Job.objects.get(pk=job.pk)


def test_the_progress_view_gives_done_of_total_rate_and_time_left(client, researcher):
    job = _running(researcher, done=40_000, total=100_000)
    client.force_login(researcher)
    url = reverse("admin:incidents_job_progress", args=[job.pk])
    status = client.get(url).json()
    assert status["state"] == "running" and status["phase_label"] == "Writing rows"
    assert status["counted"] == "40,000 of 100,000" and status["percent"] == 40.0
    assert 1900 <= status["rate"] <= 2000  # 40,000 rows in about 20 s
    assert 25 <= status["seconds_left"] <= 35 and "s left" in status["left_text"]
    assert status["can_cancel"] and not status["can_resume"]


def test_the_progress_view_is_for_signed_in_staff_who_may_import(client, db, django_user_model):
    job = Job.objects.create(kind=JobKind.KEEP_DOCUMENTS)
    url = reverse("admin:incidents_job_progress", args=[job.pk])
    assert client.get(url).status_code == 302  # to the login page
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(url).status_code == 403


def test_a_job_whose_worker_is_gone_shows_resume_which_finishes_it(client, researcher, settings):
    job = _running(researcher, done=10, total=100)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    client.force_login(researcher)
    page = client.get(reverse("admin:incidents_job_change", args=[job.pk])).content.decode()
    assert "Stopped: its worker is gone" in page and 'id="job-resume"' in page

    client.post(reverse("admin:incidents_job_resume", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 1
    assert job.report["summary"].endswith("documents kept.")


def test_resume_is_refused_for_a_job_that_is_alive(researcher):
    job = _running(researcher, done=10, total=100)
    with pytest.raises(ValueError, match="stopped"):
        jobs.resume(job=job)


def test_cancelling_a_queued_apply_leaves_the_run_to_confirm_again(
    client, gazetteer_loaded, researcher, settings
):
    client.force_login(researcher)
    run = _previewed_run(client)
    settings.TASKS = DATABASE_QUEUE
    client.post(_preview_url(run))
    job = Job.objects.get(kind=JobKind.IMPORT_APPLY)
    client.post(reverse("admin:incidents_job_cancel", args=[job.pk]), {"next": _preview_url(run)})
    job.refresh_from_db()
    run.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert run.status == ImportRunStatus.PREVIEWED and "cancelled" in run.report["interrupted"]
    # The queue entry finds the job over and does nothing.
    assert _run_queue() == 1
    assert not Incident.objects.exists()
    html = client.get(_preview_url(run)).content.decode()
    assert 'id="import-interrupted"' in html and 'id="import-confirm"' in html


def test_someone_elses_job_is_not_theirs_to_cancel(client, researcher, reviewer):
    job = _running(reviewer, done=1, total=10)
    client.force_login(researcher)
    response = client.post(reverse("admin:incidents_job_cancel", args=[job.pk]))
    assert response.status_code == 403
    job.refresh_from_db()
    assert not job.cancel_requested


def test_a_superuser_starts_a_whole_database_job(client, superuser, seeded):
    client.force_login(superuser)
    add = reverse("admin:incidents_job_add")
    assert client.get(add).status_code == 200
    response = client.post(add, {"kind": JobKind.REBUILD_MAP_CELLS})
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:incidents_job_change", args=[job.pk])
    assert job.state == JobState.DONE and "map cells rebuilt" in job.report["summary"]
    # Imports start from their own pages, not from here.
    assert client.post(add, {"kind": JobKind.IMPORT_APPLY}).status_code == 400


def test_researchers_do_not_start_whole_database_jobs(client, researcher):
    client.force_login(researcher)
    assert client.get(reverse("admin:incidents_job_add")).status_code == 403
    assert client.get(reverse("admin:incidents_job_changelist")).status_code == 200


@pytest.mark.parametrize(
    "next_url", ["//evil.example/", "https://evil.example/", "/\\evil.example"]
)
def test_cancel_goes_back_only_to_a_page_of_this_site(client, researcher, next_url):
    job = _running(researcher, done=1, total=10)
    client.force_login(researcher)
    response = client.post(reverse("admin:incidents_job_cancel", args=[job.pk]), {"next": next_url})
    assert response["Location"] == reverse("admin:incidents_job_change", args=[job.pk])


def test_rows_done_never_exceed_the_total_in_the_database_and_in_clean(db):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    job = Job(kind=JobKind.KEEP_DOCUMENTS, done=11, total=10)
    with pytest.raises(ValidationError) as error:
        job.full_clean()
    assert "done" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        job.save()


def test_a_worker_whose_job_was_taken_from_it_writes_nothing_more(researcher):
    # Its heartbeat was late, the job was declared stopped and cancelled; the slow worker
    # then reaches the end of the job, and must not say "done" over the cancel.
    from incidents.jobs import runner

    job = _running(researcher, done=10, total=100)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    jobs.cancel(job=Job.objects.get(pk=job.pk))
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELLED

    assert runner.finish(job, JobState.DONE, report={"summary": "late"}) is False
    progress = runner.Progress(job)
    with pytest.raises(runner.JobSuperseded):
        progress.phase("write", 100)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.report == {} and job.done == 10
