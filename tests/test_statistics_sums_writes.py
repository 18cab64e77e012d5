"""How a write moves the statistics sums on PostgreSQL, where the table holds one row a key:
in one upsert that locks every row the write touches in the order of the keys, with two
writes that make the same row at once adding to one row, and two that cross each other's
rows both landing."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Confidence, EventType, Incident, PublishedStatisticsSum
from incidents.readmodel.statsums import contribution
from tests.conftest import incident_fields
from tests.test_statistics import _assert_exact

TABLE = PublishedStatisticsSum._meta.db_table
# A day no other incident of these tests is on: its rows are made by the writes below.
DAY = date(2025, 3, 19)


def _needs_one_row_a_key() -> None:
    if not connection.features.supports_nulls_distinct_unique_constraints:
        pytest.skip(
            "the sums' one-row-a-key constraint (NULLs equal) needs PostgreSQL 15 or later; "
            "elsewhere the rows are read before they are written"
        )


def _draft(user, source, killed: int = 4) -> Incident:
    return services.incident_create(
        user=user,
        claims=[{"source": source, "killed_min": killed, "killed_max": killed, "quote": "Four."}],
        **incident_fields(date_start=DAY, date_end=DAY),
    )


@pytest.mark.django_db
def test_a_publication_adds_to_its_sums_in_one_upsert_without_reading_them(reviewer, source):
    _needs_one_row_a_key()
    incident = _draft(reviewer, source)
    with CaptureQueriesContext(connection) as context:
        services.incident_publish(incident=incident, user=reviewer)
    touching = [q["sql"] for q in context.captured_queries if TABLE in q["sql"]]
    assert len(touching) == 1, touching
    assert touching[0].startswith(f'INSERT INTO "{TABLE}"')
    assert "ON CONFLICT" in touching[0]
    assert PublishedStatisticsSum.objects.filter(grain=1, day=DAY).get().incidents == 1
    _assert_exact()


@pytest.mark.django_db
def test_a_row_missing_under_a_write_that_only_adds_is_summed_again(reviewer, source):
    incident = services.incident_publish(incident=_draft(reviewer, source), user=reviewer)
    PublishedStatisticsSum.objects.filter(grain=1, day=DAY).delete()
    # A higher figure: the write adds killed to rows whose incident count it leaves as it is,
    # so the missing row would come back at no incident with figures; it is summed again.
    services.claim_add(
        incident=incident,
        user=reviewer,
        expected_version=incident.version,
        source=source,
        killed_min=30,
        killed_max=30,
        quote="Thirty.",
    )
    incident.refresh_from_db()
    assert incident.killed_high == 30  # the write moved a figure the rows sum
    row = PublishedStatisticsSum.objects.filter(grain=1, day=DAY).get()
    assert (row.incidents, row.killed_high) == (1, 30)
    _assert_exact()


def _moved(incident: Incident, day: date, user) -> Incident:
    """The incident's date corrected to ``day`` (a reviewer's edit of a published one)."""
    return services.incident_update(
        incident=incident,
        user=user,
        expected_version=incident.version,
        reason="Date corrected.",
        date_start=day,
        date_end=day,
    )


@pytest.mark.django_db
def test_a_row_missing_under_a_write_that_takes_from_it_is_summed_again(reviewer, source):
    """A write that takes from a row that is missing finds the drift, and the incident's rows
    are summed again: on PostgreSQL the upsert that locks the rows made it at zero, and the
    row at zero goes with them; elsewhere the read found none."""
    incident = services.incident_publish(incident=_draft(reviewer, source), user=reviewer)
    other = services.incident_publish(incident=_draft(reviewer, source), user=reviewer)
    PublishedStatisticsSum.objects.filter(grain=1, day=DAY).delete()
    _moved(incident, date(2025, 3, 18), reviewer)
    row = PublishedStatisticsSum.objects.filter(grain=1, day=DAY).get()
    assert (row.incidents, row.killed_best) == (1, 4)
    assert other.date_start == DAY
    _assert_exact()


def _waiting_on_a_lock(pids: set[int], count: int = 1) -> bool:
    """Whether at least ``count`` of these sessions wait on a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND pid = ANY(%s)",
            [list(pids)],
        )
        return cursor.fetchone()[0] >= count


def test_two_publications_making_the_same_row_at_once_add_to_one_row(
    transactional_db: None, reviewer, source
) -> None:
    """The second publication meets the first's new rows while the first is uncommitted:
    it waits for it and adds to them, rather than making rows of its own for the same keys
    (which counted the day twice in two rows, until a later write found them)."""
    _needs_one_row_a_key()
    first, second = _draft(reviewer, source), _draft(reviewer, source)
    published, release = threading.Event(), threading.Event()
    pids: set[int] = set()
    failures: list[BaseException] = []

    def publish(incident: Incident, *, hold: bool) -> None:
        try:
            connection.ensure_connection()
            pids.add(connection.connection.info.backend_pid)
            with transaction.atomic():
                services.incident_publish(incident=incident, user=reviewer)
                if hold:
                    published.set()
                    assert release.wait(20)
        except BaseException as error:  # reported by the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=publish, args=(first,), kwargs={"hold": True})
    holder.start()
    assert published.wait(20)
    other = threading.Thread(target=publish, args=(second,), kwargs={"hold": False})
    other.start()
    # The second write is either done (it made rows of its own) or waiting on the first's.
    deadline = time.monotonic() + 20
    while other.is_alive() and not _waiting_on_a_lock(pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    holder.join(20)
    other.join(20)
    assert not failures, failures
    rows = PublishedStatisticsSum.objects.filter(grain=1, day=DAY)
    assert [row.incidents for row in rows] == [2]
    _assert_exact()


DAY_A, DAY_B = date(2025, 3, 20), date(2025, 3, 21)


def _published_on(user, source, day: date, event_type: str) -> Incident:
    incident = services.incident_create(
        user=user,
        claims=[{"source": source, "killed_min": 3, "killed_max": 3, "quote": "Three."}],
        **incident_fields(date_start=day, date_end=day, event_type=event_type),
    )
    return services.incident_publish(incident=incident, user=user)


def test_two_edits_moving_incidents_across_each_others_days_at_once_both_succeed(
    transactional_db: None, reviewer, source
) -> None:
    """One edit moves an incident from day B to day A while another moves one from A to B:
    each adds to the rows of one day and takes from the other's, and both share the rows of
    the days themselves. A write that locked the rows it adds to, then the rows it takes
    from, could hold A while waiting for B as the other held B waiting for A, and PostgreSQL
    ended one of them with a deadlock. Every write now locks all its rows in one statement,
    in the order of their keys, so the second waits for the first and both land.

    To make the interleaving certain, a third session holds the one row only the first edit
    takes from (day B, its event type), so that the first edit waits there, and the row of
    day B, which both share, is updated after that row is made, so that the first edit's
    scan meets it only after the held one."""
    _needs_one_row_a_key()
    moving_to_a = _published_on(reviewer, source, DAY_B, "shelling")
    moving_to_b = _published_on(reviewer, source, DAY_A, "massacre")
    _published_on(reviewer, source, DAY_B, "airstrike")  # day B's shared rows written anew
    held = PublishedStatisticsSum.objects.get(grain=3, day=DAY_B, event_type="shelling")
    pids: set[int] = set()
    failures: list[BaseException] = []

    def move(incident: Incident, day: date) -> None:
        try:
            connection.ensure_connection()
            pids.add(connection.connection.info.backend_pid)
            _moved(Incident.objects.get(pk=incident.pk), day, reviewer)
        except BaseException as error:  # reported by the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    def waiting(count: int) -> None:
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(pids, count):
            assert time.monotonic() < deadline, f"{count} writes never waited on a lock"
            time.sleep(0.02)

    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            holder.set_autocommit(False)
            cursor.execute(
                'SELECT 1 FROM "incidents_publishedstatisticssum" WHERE id = %s FOR UPDATE',
                [held.pk],
            )
            first = threading.Thread(target=move, args=(moving_to_a, DAY_A))
            first.start()
            waiting(1)
            second = threading.Thread(target=move, args=(moving_to_b, DAY_B))
            second.start()
            waiting(2)
        holder.commit()
    finally:
        holder.close()
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive(), "a write never finished"
    assert not failures, failures
    assert Incident.objects.get(pk=moving_to_a.pk).date_start == DAY_A
    assert Incident.objects.get(pk=moving_to_b.pk).date_start == DAY_B
    _assert_exact()


def test_an_incidents_rows_are_ordered_by_their_keys_text_whatever_the_instance_held():
    """The rows are locked in the order of their keys' ``repr``: a choice the instance holds
    as its enum member (equal to its text, written otherwise) must not move its rows in that
    order, or two writes could lock the same rows in two orders."""

    def state(event_type, confidence):
        values = {
            "status": "published",
            "date_start": DAY,
            "governorate_id": 7,
            "event_type": event_type,
            "episode_id": None,
            "place_id": 3,
            "killed_low": 2,
            "killed_best": 3,
            "killed_high": 4,
            "killed_high_open": False,
        }
        return values, ((1, 5, confidence),)

    as_text = sorted(map(repr, contribution(state("airstrike", "probable"))))
    held = sorted(map(repr, contribution(state(EventType.AIRSTRIKE, Confidence.PROBABLE))))
    assert held == as_text
