"""List pages are served from kept documents, and a kept document never outlives a change.

Each test reads the list as an anonymous client (which keeps the documents), makes one kind
of change, and compares the list with documents built afresh from the database.
"""

from __future__ import annotations

import json

import orjson
import pytest
from django.db.models import F

from incidents import services
from incidents.api.renderers import JSON_OPTIONS
from incidents.models import (
    Actor,
    Claim,
    Episode,
    Incident,
    IncidentDocument,
    Source,
    Status,
    VictimGroup,
)
from incidents.readmodel import documentcache
from incidents.readmodel.representation import DOCUMENT_SHAPE, documents
from mapping.models import Place

PAGE = "/api/v1/incidents/?page_size=500"


def served(client) -> dict[str, dict]:
    response = client.get(PAGE)
    assert response.status_code == 200
    return {doc["id"]: doc for doc in response.json()["results"]}


def fresh() -> dict[str, dict]:
    ids = list(
        Incident.objects.filter(status=Status.PUBLISHED)
        .order_by("-date_start", "-pk")
        .values_list("pk", flat=True)
    )
    return {doc["id"]: json.loads(orjson.dumps(doc, option=JSON_OPTIONS)) for doc in documents(ids)}


def published() -> Incident:
    """A published seed incident that shows every kind of reference."""
    return (
        Incident.objects.filter(
            status=Status.PUBLISHED,
            attributions__isnull=False,
            victim_groups__isnull=False,
            episode__isnull=False,
            governorate__isnull=False,
        )
        .distinct()
        .order_by("public_id")
        .first()
    )


def test_pages_are_served_from_kept_documents(client, seeded):
    first = served(client)
    assert first == fresh()
    assert IncidentDocument.objects.count() == len(first)
    # Prove the second read uses what was kept: alter a kept text and see it served.
    incident = published()
    kept = IncidentDocument.objects.get(incident=incident)
    altered = json.loads(kept.body) | {"title": "kept text"}
    IncidentDocument.objects.filter(pk=kept.pk).update(body=json.dumps(altered))
    assert served(client)[incident.public_id]["title"] == "kept text"
    # Any save of the incident makes the kept text outdated.
    services.incident_update(
        incident=incident, user=None, expected_version=incident.version, title="New title"
    )
    assert served(client)[incident.public_id]["title"] == "New title"
    assert served(client) == fresh()


def _rename_source(incident: Incident) -> None:
    source = incident.claims.first().source
    source.publisher = "Renamed publisher"
    source.save()


def _make_source_confidential(incident: Incident) -> None:
    source = incident.claims.first().source
    source.confidential = True
    source.save()


def _rename_actor(incident: Incident) -> None:
    actor = Actor.objects.filter(attributions__incident=incident).first()
    actor.name = "Renamed actor"
    actor.save()


def _rename_place(incident: Incident) -> None:
    place = Place.objects.get(pk=incident.governorate_id)
    place.name = "Renamed governorate"
    place.save()


def _rename_episode(incident: Incident) -> None:
    episode = Episode.objects.get(pk=incident.episode_id)
    episode.slug = "renamed-episode"
    episode.save()


def _rename_victim_group(incident: Incident) -> None:
    group = VictimGroup.objects.filter(incidents=incident).first()
    group.slug = "renamed-group"
    group.save()


def _add_claim(incident: Incident) -> None:
    services.claim_add(
        incident=incident,
        user=None,
        source=Source.objects.first(),
        killed_min=999,
        quote="A new claim.",
    )


def _edit_claim(incident: Incident) -> None:
    claim = incident.claims.first()
    services.claim_update(claim=claim, user=None, quote="An edited quote.")


def _remove_claim(incident: Incident) -> None:
    _add_claim(incident)
    services.claim_remove(claim=incident.claims.order_by("-pk").first(), user=None)


def _set_perpetrator(incident: Incident) -> None:
    services.attribution_set(
        incident=incident,
        user=None,
        actor=Actor.objects.exclude(attributions__incident=incident).first(),
        confidence="alleged",
    )


def _set_victim_groups(incident: Incident) -> None:
    services.incident_set_victim_groups(
        incident=incident,
        user=None,
        victim_groups=[VictimGroup.objects.exclude(incidents=incident).first()],
    )


def _bulk_update_with_version(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(title="Bulk title", version=F("version") + 1)


def _claim_bulk_update_then_forget(incident: Incident) -> None:
    Claim.objects.filter(incident=incident).update(quote="Bulk quote.")
    documentcache.forget([incident.pk])


@pytest.mark.parametrize(
    "change",
    [
        _rename_source,
        _make_source_confidential,
        _rename_actor,
        _rename_place,
        _rename_episode,
        _rename_victim_group,
        _add_claim,
        _edit_claim,
        _remove_claim,
        _set_perpetrator,
        _set_victim_groups,
        _bulk_update_with_version,
        _claim_bulk_update_then_forget,
    ],
)
def test_no_kept_document_outlives_a_change(client, seeded, change):
    before = served(client)
    assert IncidentDocument.objects.exists()
    change(published())
    after = served(client)
    assert after == fresh()
    assert after != before  # the change shows in the list


def test_a_document_kept_by_another_reader_during_a_change_is_dropped_at_commit(
    client, seeded, django_capture_on_commit_callbacks
):
    # Another reader rendered the document before the source was renamed and keeps it
    # after: the drop repeated when the rename commits removes it.
    incident = published()
    old = documents([incident.pk])[0]
    with django_capture_on_commit_callbacks() as at_commit:
        _rename_source(incident)
    IncidentDocument.objects.create(
        incident=incident,
        version=old["version"],
        updated_at=old["updated_at"],
        shape=DOCUMENT_SHAPE,
        body=orjson.dumps(old, option=JSON_OPTIONS).decode(),
    )
    public_id = incident.public_id
    assert served(client)[public_id] != fresh()[public_id]  # outdated, as set up
    for callback in at_commit:
        callback()
    assert served(client) == fresh()


def test_clear_drops_everything(client, seeded):
    served(client)
    count = IncidentDocument.objects.count()
    assert count > 0
    assert documentcache.clear() == count
    assert not IncidentDocument.objects.exists()
    assert served(client) == fresh()


def test_keep_documents_renders_every_published_incident(client, seeded):
    from django.core.management import call_command

    call_command("keep_documents", "--published-only", stdout=None)
    assert (
        IncidentDocument.objects.count() == Incident.objects.filter(status=Status.PUBLISHED).count()
    )
    assert served(client) == fresh()


# The members of a document at representation.DOCUMENT_SHAPE. A change to the document's
# layout must bump DOCUMENT_SHAPE (so documents kept by an earlier release are not served)
# and then update this pair.
SHAPE = 4
DOCUMENT_MEMBERS = [
    "acled_event_id",
    "claims",
    "created_at",
    "date_end",
    "date_precision",
    "date_start",
    "episode",
    "event_type",
    "external_ids",
    "grade",
    "id",
    "killed",
    "location",
    "perpetrators",
    "published_at",
    "retraction_reason",
    "source_count",
    "status",
    "summary",
    "summary_ar",
    "title",
    "title_ar",
    "ucdp_ged_id",
    "updated_at",
    "url",
    "version",
    "victim_groups",
]
CLAIM_MEMBERS = [
    "approximate",
    "attributed_to",
    "breakdown",
    "date_as_reported",
    "figure_kind",
    "id",
    "killed_max",
    "killed_min",
    "perpetrator",
    "perpetrator_text",
    "place_as_reported",
    "quote",
    "source",
]


def test_documents_kept_with_another_layout_are_not_served(client, seeded):
    served(client)
    incident = published()
    IncidentDocument.objects.filter(incident=incident).update(
        shape=DOCUMENT_SHAPE - 1, body='{"id": "stale layout"}'
    )
    pages = served(client)
    assert pages[incident.public_id] == fresh()[incident.public_id]
    assert IncidentDocument.objects.get(incident=incident).shape == DOCUMENT_SHAPE


KILLED_MEMBERS = [
    "best",
    "breakdown",
    "confidential_claims",
    "high",
    "high_open",
    "includes_confidential",
    "low",
    "rationale",
    "rule",
]


def test_the_document_layout_is_the_one_its_shape_names(client, seeded):
    document = served(client)[published().public_id]
    members = sorted(document)
    claim_members = sorted(document["claims"][0])
    killed_members = sorted(document["killed"])
    assert (DOCUMENT_SHAPE, members, claim_members, killed_members) == (
        SHAPE,
        DOCUMENT_MEMBERS,
        CLAIM_MEMBERS,
        KILLED_MEMBERS,
    ), (
        "The incident document changed: bump representation.DOCUMENT_SHAPE and update "
        "SHAPE, DOCUMENT_MEMBERS, CLAIM_MEMBERS and KILLED_MEMBERS here."
    )
