"""The queue benchmark's task (``bench/jobs_bench.py``): almost no work, so that the queue's
own cost shows. A module of its own so that the workers can import it by name."""

from django_tasks import task


@task()
def noop(n: int) -> int:
    return n
