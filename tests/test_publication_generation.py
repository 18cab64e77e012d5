"""The publication generation (incidents.readmodel.generation): every write that changes what
the public sees moves it on once it commits, drafts alone do not, it survives a flush of the
cache, and public answers kept in the cache are never served past it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from rest_framework.test import APIClient

from incidents import services
from incidents.imports import acled, geojson
from incidents.models import (
    Actor,
    Incident,
    PublicationGeneration,
    Source,
    Status,
)
from incidents.readmodel import generation, mapcells
from mapping.loader import load_gazetteer
from mapping.models import Place
from tests.conftest import incident_fields
from tests.test_import_acled import CURRENT
from tests.test_round_trip import export, wipe

API = "/api/v1"


def _published(reviewer, source, **fields) -> Incident:
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 5, "quote": "Five were killed."}],
        **incident_fields(**fields),
    )
    return services.incident_publish(incident=incident, user=reviewer)


def _commit_so_far() -> None:
    """What a commit of the test's setup would do: run the callbacks it registered (a test
    runs in one transaction that never commits, and the generation registers its callback
    once per transaction)."""
    pending, connection.run_on_commit = connection.run_on_commit, []
    for _sids, callback, _robust in pending:
        callback()


def _statistics() -> dict:
    return APIClient().get(f"{API}/statistics/").json()["totals"]


# --- writes that change what the public sees ------------------------------------------------


def _publish(ctx) -> None:
    _published(ctx["reviewer"], ctx["source"])


def _retract(ctx) -> None:
    incident = Incident.objects.get(public_id="SY-2025-0001")
    services.incident_retract(incident=incident, user=ctx["reviewer"], reason="Doubtful.")


def _edit_published(ctx) -> None:
    incident = Incident.objects.get(public_id="SY-2025-0001")
    services.incident_edit(
        incident=incident, user=ctx["reviewer"], expected_version=incident.version, title="New"
    )


def _claim_on_published(ctx) -> None:
    incident = Incident.objects.get(public_id="SY-2025-0001")
    services.claim_add(
        incident=incident,
        user=ctx["reviewer"],
        source=ctx["source"],
        killed_min=99,
        quote="99 were killed.",
    )


def _perpetrator_on_published(ctx) -> None:
    incident = Incident.objects.get(public_id="SY-2025-0001")
    actor = Actor.objects.exclude(attributions__incident=incident).order_by("pk").first()
    services.attribution_set(
        incident=incident, user=ctx["reviewer"], actor=actor, confidence="alleged"
    )


def _victims_of_published(ctx) -> None:
    incident = Incident.objects.get(public_id="SY-2025-0001")
    group = services.victim_group_create(user=None, slug="farmers", name="Farmers")
    services.incident_set_victim_groups(
        incident=incident, user=ctx["reviewer"], victim_groups=[group]
    )


def _merge(ctx) -> None:
    keep = Incident.objects.get(public_id="SY-2025-0001")
    merge = _published(ctx["reviewer"], ctx["source"], title="The same event")
    services.incident_merge(keep=keep, merge=merge, user=ctx["reviewer"], reason="Same.")


def _rename_source(ctx) -> None:
    source = Source.objects.filter(claims__incident__status=Status.PUBLISHED).first()
    services.source_update(source=source, user=ctx["reviewer"], headline="Renamed")


def _rename_actor(ctx) -> None:
    actor = Actor.objects.filter(attributions__isnull=False).first()
    services.actor_update(actor=actor, user=ctx["reviewer"], name="Renamed")


def _episode_figure(ctx) -> None:
    from incidents.models import Episode

    services.episode_claim_add(
        episode=Episode.objects.order_by("pk").first(),
        user=ctx["reviewer"],
        source=ctx["source"],
        measure="civilians_killed",
        killed_min=700,
        quote="700 civilians were killed.",
    )


def _rename_place(ctx) -> None:
    place = Place.objects.filter(incidents__status=Status.PUBLISHED).first()
    services.place_update(place=place, user=ctx["reviewer"], name="Renamed place")


def _acled_import(ctx) -> None:
    report = acled.import_file(CURRENT.read_bytes(), user=ctx["reviewer"])
    assert report.created


def _rebuild_map(ctx) -> None:
    mapcells.rebuild()


def _reload_gazetteer(ctx) -> None:
    load_gazetteer()


CHANGES: dict[str, Callable] = {
    "publish": _publish,
    "retract": _retract,
    "edit a published incident": _edit_published,
    "claim on a published incident": _claim_on_published,
    "perpetrator of a published incident": _perpetrator_on_published,
    "victims of a published incident": _victims_of_published,
    "merge": _merge,
    "rename a cited source": _rename_source,
    "rename an actor": _rename_actor,
    "episode aggregate": _episode_figure,
    "rename a place": _rename_place,
    "ACLED import": _acled_import,
    "map cells rebuilt": _rebuild_map,
    "gazetteer loaded": _reload_gazetteer,
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_public_change_moves_the_generation_on_once_it_commits(
    change, seeded, reviewer, source, django_capture_on_commit_callbacks
) -> None:
    context = {"reviewer": reviewer, "source": source}
    _commit_so_far()
    count = generation.stored_count()
    token = generation.current()
    with django_capture_on_commit_callbacks(execute=False) as at_commit:
        CHANGES[change](context)
    # Set anew at once, so that nothing computed while the write is open outlives it ...
    assert generation.current() != token
    assert generation.stored_count() == count  # ... and durable only once it commits.
    before_commit = generation.current()
    for callback in at_commit:
        callback()
    assert generation.stored_count() == count + 1  # once per transaction
    assert generation.current() not in (token, before_commit)
    assert generation.current().startswith(f"{count + 1}.")


def test_drafts_change_nothing_the_public_sees(
    seeded, researcher, source, django_capture_on_commit_callbacks
) -> None:
    _commit_so_far()
    token = generation.current()
    count = generation.stored_count()
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.incident_create(
            user=researcher,
            claims=[{"source": source, "killed_min": 3, "quote": "Three were killed."}],
            **incident_fields(),
        )
        services.claim_add(
            incident=draft, user=researcher, source=source, killed_min=4, quote="Four."
        )
        draft = Incident.objects.get(pk=draft.pk)
        services.incident_edit(
            incident=draft, user=researcher, expected_version=draft.version, title="Renamed"
        )
        draft = Incident.objects.get(pk=draft.pk)
        services.incident_submit_for_review(incident=draft, user=researcher)
    assert generation.current() == token
    assert generation.stored_count() == count


def test_a_rolled_back_write_leaves_the_durable_count(
    seeded, reviewer, django_capture_on_commit_callbacks
) -> None:
    _commit_so_far()
    count = generation.stored_count()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _retract({"reviewer": reviewer})
        transaction.set_rollback(True)
    assert generation.stored_count() == count


def test_a_flushed_cache_never_brings_back_an_old_generation(
    seeded, reviewer, django_capture_on_commit_callbacks
) -> None:
    _commit_so_far()
    before = _statistics()
    token = generation.current()
    cache.clear()
    again = generation.current()
    assert again != token and again.startswith(f"{generation.stored_count()}.")
    assert _statistics() == before
    with django_capture_on_commit_callbacks(execute=True):
        _retract({"reviewer": reviewer})
    cache.delete(generation.KEY)  # evicted, say: the count comes back from the database
    assert _statistics()["incidents"] == before["incidents"] - 1


def test_the_count_is_made_again_if_its_row_is_gone(
    seeded, reviewer, django_capture_on_commit_callbacks
):
    _commit_so_far()
    PublicationGeneration.objects.all().delete()
    assert generation.stored_count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        _retract({"reviewer": reviewer})
    assert generation.stored_count() == 1


def test_an_import_of_published_incidents_reaches_public_answers_at_once(
    seeded, reviewer, django_capture_on_commit_callbacks
) -> None:
    _commit_so_far()
    data = export("geojson", reviewer)
    published = _statistics()["incidents"]
    wipe()
    with django_capture_on_commit_callbacks(execute=True):
        mapcells.rebuild()
    assert _statistics()["incidents"] == 0
    assert APIClient().get(f"{API}/map/?zoom=8").json()["totals"]["incidents"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        report = geojson.import_file(data, user=reviewer)
    assert not report.failures, report.failures
    assert _statistics()["incidents"] == published
    assert APIClient().get(f"{API}/map/?zoom=8").json()["totals"]["incidents"] == published


def test_answers_are_kept_per_generation(
    seeded, reviewer, source, django_capture_on_commit_callbacks
) -> None:
    _commit_so_far()
    first = _statistics()
    # Kept: an incident written behind the services' back is not counted ...
    Incident.objects.filter(public_id="SY-2025-0001").update(
        status=Status.RETRACTED, retraction_reason="Behind the back."
    )
    assert _statistics() == first
    # ... until something moves the generation on: here what a writer behind save()'s back
    # must call, which also sums the map cells and the statistics again.
    with django_capture_on_commit_callbacks(execute=True):
        mapcells.rebuild()
    assert _statistics()["incidents"] == first["incidents"] - 1
