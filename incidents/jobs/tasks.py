"""The one task of the Tasks API queue: run a recorded job (``incidents.models.Job``).

Django 6 has this API as ``django.tasks``; until then it is the ``django-tasks`` backport,
so upgrading is a change of import. The task's argument is the job's id only: what to do is
in the job's row, which outlives the queue entry (so a stopped job can be resumed).
"""

from __future__ import annotations

from django_tasks import task

from . import handlers, runner

# The handlers register themselves with the runner when their module loads.
assert set(handlers.KINDS) <= set(runner.HANDLERS)


@task()
def run_job(job_id: int) -> None:
    runner.execute(job_id)
