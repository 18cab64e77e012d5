"""Background jobs: start one, cancel it, resume it after its worker was lost.

The machinery is in :mod:`incidents.jobs.runner` (how a worker runs a job, its progress and
heartbeat); what each kind of job does is in :mod:`incidents.jobs.handlers`; the queue entry
is the Tasks API's :func:`incidents.jobs.tasks.run_job`. Interfaces (the admin) call the
functions here, as they call ``incidents.services`` for the domain's writes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Job, JobState
from . import runner
from .runner import MAINTENANCE_KINDS, JobCancelled, JobFailed, Progress, status
from .tasks import run_job

__all__ = [
    "MAINTENANCE_KINDS",
    "JobCancelled",
    "JobFailed",
    "Progress",
    "cancel",
    "create",
    "enqueue",
    "resume",
    "start",
    "status",
    "stopped",
]

stopped = runner.stopped


def start(
    *, kind: str, user: Any = None, options: dict | None = None, import_run: Any = None
) -> Job:
    """Record a job and put it in the queue. Call it outside any transaction you hold, or
    the worker cannot see the row; ``create`` runs inside yours, ``enqueue`` after."""
    job = create(kind=kind, user=user, options=options, import_run=import_run)
    enqueue(job)
    return job


def create(
    *, kind: str, user: Any = None, options: dict | None = None, import_run: Any = None
) -> Job:
    """The job's row, not queued yet (see :func:`enqueue`): a caller that decides to start a
    job under a lock (confirming an import) creates it inside its transaction and queues it
    once that has committed."""
    if kind not in runner.HANDLERS:
        raise LookupError(f"No job handler for '{kind}'.")
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    return Job.objects.create(
        kind=kind, options=options or {}, import_run=import_run, created_by=user
    )


def enqueue(job: Job) -> None:
    """Put the job in the queue of the Tasks backend. A job whose row exists but which never
    reached the queue (the process died in between) is shown as stopped and can be resumed.
    """
    result = run_job.enqueue(job.pk)
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])
    job.task_id = str(result.id)[:64]


def cancel(*, job: Job, user: Any = None) -> Job:
    """Ask the job to stop. A job not running yet (or whose worker is gone) stops at once;
    a running one stops at its next progress report, between two committed chunks."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.finished:
            return job
        if job.state == JobState.RUNNING and not runner.stopped(job):
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            return job
        runner.finish(job, JobState.CANCELLED, error=_("Cancelled before it ran."))
    runner.abandon(job, _("The job was cancelled."))
    return job


def resume(*, job: Job, user: Any = None) -> Job:
    """Queue again a job whose worker was lost, so that it finishes. Refused (ValueError)
    for a job that is still alive or already over."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if not runner.stopped(job):
            raise ValueError("Only a stopped job can be resumed.")
        job.state = JobState.QUEUED
        job.worker = ""
        job.task_id = ""
        job.cancel_requested = False
        job.save(update_fields=["state", "worker", "task_id", "cancel_requested"])
    enqueue(job)
    return job
