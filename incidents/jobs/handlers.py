"""What each kind of background job does, and what it owes its records when it stops.

Each handler takes the job and its :class:`~incidents.jobs.runner.Progress`, does the work
the matching management command does in the foreground, and returns the report the admin
shows at the end. A handler that stops partway (cancelled, failed, its worker killed) leaves
only whole, committed steps behind, and running it again finishes the work.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..duplicates import MIN_SCORE, flag_all
from ..geocode import geocode_all
from ..imports import importer
from ..imports.report import FileRefused
from ..models import ExternalRecord, ImportRun, ImportRunStatus, Incident, JobKind, Status
from ..readmodel import documentcache, mapcells
from .runner import Job, JobFailed, Progress, handler

KINDS = tuple(JobKind.values)

# Formats read by ``incidents.imports.batch``, whose progress counts every row twice when
# writing (once checked, once written): see ``batch.run``.
TWO_PASS_FORMATS = ("acled", "ucdp")


def _import_progress(job: Job, progress: Progress, *, writing: bool, format: str):
    """The importer's ``progress(done, steps)`` as phases of rows: checking, then writing."""
    state = {"phase": None}

    def report(done: int, steps: int) -> None:
        if state["phase"] == "follow":
            return
        if writing and done >= steps and state["phase"] == "write":
            # Every row written: the follow-up (map cells, duplicates) has no rows to count.
            state["phase"] = "follow"
            progress.phase("follow", None)
            return
        if writing and format in TWO_PASS_FORMATS:
            rows = steps // 2
            phase, done = ("check", done) if done <= rows else ("write", done - rows)
        else:
            rows, phase = steps, ("write" if writing else "check")
        if state["phase"] != phase:
            state["phase"] = phase
            progress.phase(phase, rows)
        progress(done, rows)

    return report


# --- an import file: the dry run, then the apply ---------------------------------------------


def _check_stopped(job: Job, reason: str) -> None:
    # A check that did not finish leaves nothing to confirm: the run is refused, with why.
    ImportRun.objects.filter(pk=job.import_run_id, status=ImportRunStatus.CHECKING).update(
        status=ImportRunStatus.FAILED,
        report={"refused": _("The check of this file stopped: %(reason)s") % {"reason": reason}},
    )


@handler(JobKind.IMPORT_CHECK, abandon=_check_stopped)
def import_check(job: Job, progress: Progress) -> dict[str, Any]:
    """Read every row of the uploaded file and say what importing it would do."""
    run = ImportRun.objects.get(pk=job.import_run_id)
    try:
        report = importer(run.format)(
            bytes(run.content),
            dry_run=True,
            user=job.created_by,
            run=None,
            progress=_import_progress(job, progress, writing=False, format=run.format),
        )
    except (FileRefused, LookupError) as error:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRunStatus.FAILED, report={"refused": str(error)}
        )
        raise JobFailed(str(error)) from error
    ImportRun.objects.filter(pk=run.pk, status=ImportRunStatus.CHECKING).update(
        status=ImportRunStatus.PREVIEWED, report=report.as_dict()
    )
    return {"summary": report.summary()}


def _apply_stopped(job: Job, reason: str) -> None:
    # Chunks written before the stop are whole and stay; the run can be confirmed again,
    # which finds those rows by their ids and writes the rest.
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().defer("content").get(pk=job.import_run_id)
        if run.status != ImportRunStatus.APPLYING:
            return
        run.status = ImportRunStatus.PREVIEWED
        run.applied_at = None
        run.report = {**(run.report or {}), "interrupted": reason[:500]}
        run.save(update_fields=["status", "applied_at", "report"])


@handler(JobKind.IMPORT_APPLY, abandon=_apply_stopped)
def import_apply(job: Job, progress: Progress) -> dict[str, Any]:
    """Import the file the run keeps (what was previewed), in committed chunks."""
    run = ImportRun.objects.get(pk=job.import_run_id)
    if run.status == ImportRunStatus.APPLIED:
        # Finished, but its worker was lost before the job's row said so: nothing to redo.
        return {"summary": _("Applied."), "written_before_resume": 0}
    if run.status != ImportRunStatus.APPLYING:
        raise JobFailed(_("This import is not waiting to be applied."))
    # A resumed apply finds the rows its first attempt wrote unchanged, and counts them as
    # skipped: the report says how many were written before the stop.
    before = ExternalRecord.objects.filter(import_run=run).count() if job.attempts > 1 else 0
    try:
        report = importer(run.format)(
            bytes(run.content),
            user=job.created_by,
            run=run,
            progress=_import_progress(job, progress, writing=True, format=run.format),
        )
    except (FileRefused, LookupError) as error:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRunStatus.FAILED, report={**(run.report or {}), "refused": str(error)}
        )
        raise JobFailed(str(error)) from error
    result = report.as_dict()
    if before:
        result["written_before_resume"] = before
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRunStatus.APPLIED, applied_at=timezone.now(), report=result
    )
    return {"summary": report.summary(), "written_before_resume": before}


# --- the whole database -----------------------------------------------------------------------

DOCUMENT_BATCH = 2000


@handler(JobKind.KEEP_DOCUMENTS)
def keep_documents(job: Job, progress: Progress) -> dict[str, Any]:
    """Render and keep the API documents (``manage.py keep_documents``)."""
    incidents = Incident.objects.exclude(status=Status.MERGED)
    if job.options.get("published_only"):
        incidents = incidents.filter(status=Status.PUBLISHED)
    ids = list(incidents.order_by("pk").values_list("pk", flat=True))
    progress.phase("documents", len(ids))
    for start in range(0, len(ids), DOCUMENT_BATCH):
        documentcache.page_json(ids[start : start + DOCUMENT_BATCH])
        progress(min(start + DOCUMENT_BATCH, len(ids)))
    return {"summary": _("%(count)s documents kept.") % {"count": len(ids)}}


@handler(JobKind.REBUILD_MAP_CELLS)
def rebuild_map_cells(job: Job, progress: Progress) -> dict[str, Any]:
    """Recompute the map's cells and drop the kept documents (``manage.py
    rebuild_map_cells``); each step is one transaction."""
    progress.phase("cells", 2)
    with transaction.atomic():
        cells = mapcells.rebuild()
    progress(1)
    dropped = documentcache.clear()
    progress(2)
    return {
        "summary": _("%(cells)s map cells rebuilt, %(documents)s kept documents dropped.")
        % {"cells": cells, "documents": dropped}
    }


@handler(JobKind.FIND_DUPLICATES)
def find_duplicates(job: Job, progress: Progress) -> dict[str, Any]:
    """Look for likely duplicates across the whole database (``manage.py find_duplicates``)."""
    progress.phase("compare", None)
    result = flag_all(min_score=float(job.options.get("min_score", MIN_SCORE)))
    return {
        "summary": _(
            "Compared %(compared)s incidents: %(created)s new candidates, %(updated)s "
            "updated, %(removed)s removed."
        )
        % {
            "compared": result.compared,
            "created": result.created,
            "updated": result.updated,
            "removed": result.removed,
        }
    }


@handler(JobKind.GEOCODE_INCIDENTS)
def geocode_incidents(job: Job, progress: Progress) -> dict[str, Any]:
    """Give a point to incidents that have only a place name (``manage.py
    geocode_incidents``): each incident is one write through the services."""
    result = geocode_all(
        min_score=float(job.options.get("min_score", 85.0)),
        dry_run=False,
        progress=progress,
    )
    return {
        "summary": _("%(resolved)s incidents geocoded, %(unresolved)s not resolved.")
        % {"resolved": result.resolved, "unresolved": result.unresolved},
        "lines": result.lines[:1000],
    }
