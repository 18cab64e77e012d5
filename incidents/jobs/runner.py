"""Background jobs: work too long for a web request, run by a worker process.

A web request never does more than a second of work. Anything longer (checking and applying
an import file, keeping every API document, rebuilding the map cells, looking for duplicates
or geocoding across the whole database) becomes a :class:`~incidents.models.Job`: a row the
admin shows while it runs, and an entry in the queue of Django's Tasks API
(``settings.TASKS``; the ``django-tasks`` backport until Django 6, whose ``django.tasks`` has
the same API). A worker (``manage.py db_worker``) takes the entry and calls
:func:`execute`, which runs the job's handler.

How a job stays trustworthy:

- **Progress is committed as it goes.** The handler reports ``done`` of ``total`` through
  :class:`Progress`, which writes the row at most every ``JOBS["PROGRESS_SECONDS"]`` in the
  worker's own autocommit (imports write in committed chunks and report between them), so
  the admin's page sees it at once. The same call looks for a cancel request and stops the
  handler with :class:`JobCancelled` between two chunks.
- **A killed worker is noticed.** While a job runs, a thread of the worker writes
  ``heartbeat_at`` every ``JOBS["HEARTBEAT_SECONDS"]``. A running job not heard of for
  ``JOBS["STALE_SECONDS"]`` lost its worker (SIGKILL, out of memory, the machine gone): it is
  shown as stopped, and :func:`resume` queues it again. Handlers are written so that running
  again finishes the work: imports commit whole chunks and find the rows already written by
  their ids (``incidents.imports.batch``), the follow-up of chunks written before the stop is
  owed in ``ImportFollowUp`` and done by the next run.
- **A job runs once at a time.** :func:`execute` takes the row under a lock and runs only a
  queued job; a second delivery of the same queue entry finds it running and returns. Every
  write of a running attempt names it (``attempts``): a worker too slow to beat in time,
  whose job was meanwhile cancelled or resumed, finds the row no longer its own and stops
  without writing over it (:class:`JobSuperseded`).

Management commands keep doing the same work in the foreground, with their own progress.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Job, JobKind, JobState

logger = logging.getLogger(__name__)

# Kinds an editor may start from the admin's "Start a job" page; imports start from their
# own pages.
MAINTENANCE_KINDS = (
    JobKind.KEEP_DOCUMENTS,
    JobKind.REBUILD_MAP_CELLS,
    JobKind.FIND_DUPLICATES,
    JobKind.GEOCODE_INCIDENTS,
)


class JobCancelled(Exception):
    """Raised inside a handler when someone asked for the job to stop."""


class JobSuperseded(JobCancelled):
    """This attempt no longer owns its job (see :func:`_ours`): stop without a word."""


class JobFailed(Exception):
    """A handler's way to end a job with a message for the person who started it (a file
    that cannot be imported), rather than a programming error with a traceback."""


Handler = Callable[[Job, "Progress"], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
# What a job's handler owes its other records when the job ends without finishing (an
# import run goes back to "previewed"): called with the job and the reason.
ABANDON: dict[str, Callable[[Job, str], None]] = {}


def handler(kind: str, *, abandon: Callable[[Job, str], None] | None = None):
    """Register the function that does the work of ``kind``."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        if abandon is not None:
            ABANDON[kind] = abandon
        return function

    return register


def stopped(job: Job) -> bool:
    """The job will not go on by itself: its worker is gone, or it never reached the queue."""
    if job.stopped:
        return True
    limit = settings.JOBS["STALE_SECONDS"]
    return (
        job.state == JobState.QUEUED
        and not job.task_id
        and (timezone.now() - job.created_at).total_seconds() > limit
    )


# --- running ---------------------------------------------------------------------------------


def execute(job_id: int) -> None:
    """Run one job (called by the worker through ``incidents.tasks.run_job``)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            return  # cancelled before it ran, or already taken by another delivery
        now = timezone.now()
        job.state = JobState.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.worker = f"{socket.gethostname()} pid {os.getpid()}"[:200]
        job.error = ""
        job.save(
            update_fields=["state", "attempts", "started_at", "heartbeat_at", "worker", "error"]
        )
    heartbeat = _Heartbeat(job.pk, job.attempts)
    # A job run inside a transaction (the immediate backend, within a request) is invisible
    # to other connections until the end: a heartbeat from another thread could not help.
    if not connection.in_atomic_block:
        heartbeat.start()
    progress = Progress(job)
    try:
        report = HANDLERS[job.kind](job, progress)
    except JobSuperseded:
        return  # declared stopped and cancelled or resumed meanwhile: the row is not ours
    except JobCancelled:
        if finish(job, JobState.CANCELLED, error=_("Cancelled while it ran.")):
            abandon(job, _("The job was cancelled."))
    except JobFailed as error:
        if finish(job, JobState.FAILED, error=str(error)):
            abandon(job, str(error))
    except Exception as error:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        text = f"{error.__class__.__name__}: {error}"[:2000]
        if finish(job, JobState.FAILED, error=text):
            abandon(job, text)
        raise  # the Tasks backend records the traceback too
    else:
        finish(job, JobState.DONE, report=report)
    finally:
        heartbeat.stop()


def _ours(job: Job):
    """The job's row, if this attempt still owns it: a worker too slow to beat in time may
    find its job declared stopped, then cancelled or resumed by someone else."""
    return Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)


def finish(job: Job, state: str, *, report: dict | None = None, error: str = "") -> bool:
    """End the job; False (and nothing written) when this attempt no longer owns it."""
    values: dict[str, Any] = {"state": state, "finished_at": timezone.now(), "error": error}
    if report is not None:
        values["report"] = report
        if job.total is not None:
            values["done"] = job.total
    if job.state == JobState.RUNNING:
        if not _ours(job).update(**values):
            return False
    else:  # not started (cancelled in the queue): the caller holds the row's lock
        Job.objects.filter(pk=job.pk).update(**values)
    for name, value in values.items():
        setattr(job, name, value)
    return True


def abandon(job: Job, reason: str) -> None:
    if job.kind in ABANDON:
        ABANDON[job.kind](job, reason)


class _Heartbeat(threading.Thread):
    """Writes the job's ``heartbeat_at`` while the worker lives; dies with the process."""

    def __init__(self, job_id: int, attempt: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id = job_id
        self.attempt = attempt
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.wait(settings.JOBS["HEARTBEAT_SECONDS"]):
                try:
                    Job.objects.filter(
                        pk=self.job_id, state=JobState.RUNNING, attempts=self.attempt
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    # SQLite busy with the job's own chunk: the next beat will do.
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=10)


class Progress:
    """How far the job got, written to its row as it goes (at most every
    ``JOBS["PROGRESS_SECONDS"]``, and at each new phase); raises :class:`JobCancelled` when
    a cancel was asked for."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._written = 0.0

    def phase(self, name: str, total: int | None) -> None:
        now = timezone.now()
        self.job.phase = name
        self.job.total = total
        self.job.done = 0
        self.job.phase_started_at = now
        self.job.phase_started_done = 0
        _ours(self.job).update(
            phase=name,
            total=total,
            done=0,
            phase_started_at=now,
            phase_started_done=0,
            heartbeat_at=now,
        )
        self._written = time.monotonic()
        self._check_cancel()

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is not None and total != self.job.total:
            self.job.total = total
        if self.job.total is not None:
            done = min(done, self.job.total)
        self.job.done = done
        if time.monotonic() - self._written < settings.JOBS["PROGRESS_SECONDS"]:
            return
        self._written = time.monotonic()
        _ours(self.job).update(done=done, total=self.job.total, heartbeat_at=timezone.now())
        self._check_cancel()

    def _check_cancel(self) -> None:
        asked = _ours(self.job).values_list("cancel_requested", flat=True).first()
        if asked is None:
            raise JobSuperseded
        if asked:
            raise JobCancelled


# --- what the admin shows --------------------------------------------------------------------

PHASES = {
    "check": gettext_lazy("Checking rows"),
    "write": gettext_lazy("Writing rows"),
    "follow": gettext_lazy("Refreshing the map and flagging duplicates"),
    "documents": gettext_lazy("Keeping documents"),
    "cells": gettext_lazy("Rebuilding the map"),
    "compare": gettext_lazy("Comparing incidents"),
    "incidents": gettext_lazy("Geocoding incidents"),
}


def _left(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    if minutes:
        return _("about %(minutes)s min %(seconds)s s left") % {
            "minutes": minutes,
            "seconds": seconds,
        }
    return _("about %(seconds)s s left") % {"seconds": seconds}


def status(job: Job) -> dict[str, Any]:
    """The job as the admin's page polls it: state, done of total, rate and time left."""
    now = timezone.now()
    is_stopped = stopped(job)
    rate = seconds_left = None
    if job.state == JobState.RUNNING and job.phase_started_at is not None:
        elapsed = (now - job.phase_started_at).total_seconds()
        moved = job.done - job.phase_started_done
        if elapsed > 0.5 and moved > 0:
            rate = moved / elapsed
            if job.total is not None:
                seconds_left = max(0.0, (job.total - job.done) / rate)
    label = _("Stopped: its worker is gone") if is_stopped else str(job.get_state_display())
    if job.total is not None:
        counted = _("%(done)s of %(total)s") % {"done": f"{job.done:,}", "total": f"{job.total:,}"}
    else:
        counted = f"{job.done:,}" if job.done else ""
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": "stopped" if is_stopped else job.state,
        "state_label": label,
        "phase": job.phase,
        "phase_label": str(PHASES.get(job.phase, job.phase)),
        "counted": counted,
        "rate_text": _("%(rate)s a second") % {"rate": f"{rate:,.0f}"} if rate else "",
        "left_text": _left(seconds_left) if seconds_left is not None else "",
        "done": job.done,
        "total": job.total,
        "percent": (
            round(100 * job.done / job.total, 1) if job.total else (100.0 if job.finished else None)
        ),
        "rate": round(rate, 1) if rate is not None else None,
        "seconds_left": round(seconds_left) if seconds_left is not None else None,
        "finished": job.finished,
        "cancel_requested": job.cancel_requested,
        "can_cancel": not job.finished and not job.cancel_requested,
        "can_resume": is_stopped,
        "error": job.error,
        "attempts": job.attempts,
        "heartbeat_age": (
            round((now - job.heartbeat_at).total_seconds(), 1) if job.heartbeat_at else None
        ),
    }
