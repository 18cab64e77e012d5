"""Own-format imports write new incidents in bulk: a bounded number of queries per
incident, with the same records, history, workflow and map as the services write.

Speed itself is measured by bench/exchange_bench.py; here, what the bulk writer owes.
"""

from __future__ import annotations

import copy
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.imports import geojson
from incidents.models import Claim, Incident, PublishedMapCell, Status
from incidents.readmodel import mapcells

from .test_round_trip import _plain, everything, export, wipe  # noqa: F401  (a fixture)


def _incidents_only() -> None:
    """Remove the incidents, keep the catalogue: the next import writes incidents alone."""
    Claim.objects.all().delete()
    while Incident.objects.filter(status=Status.MERGED).exists():
        Incident.objects.filter(status=Status.MERGED, merged_from__isnull=True).delete()
    Incident.objects.all().delete()


def _queries(data: bytes, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = geojson.import_file(data, user=user)
    assert not report.failures, report.failures
    return len(queries)


def _more(data: bytes, copies: int) -> tuple[bytes, int]:
    """The file with ``copies`` more incidents: copies of its plain ones under new ids."""
    collection = json.loads(data)
    features = collection["features"]
    plain = [features[i] for i in _plain(features)]
    added = []
    for n in range(copies):
        feature = copy.deepcopy(plain[n % len(plain)])
        public_id = f"SY-2019-{n + 1:04d}"
        feature["id"] = feature["properties"]["id"] = public_id
        feature["properties"]["origin_id"] = public_id
        for name in ("external_records", "external_ids", "acled_event_id", "ucdp_ged_id"):
            feature["properties"].pop(name, None)
        for claim in feature["properties"]["sources"]:
            claim.pop("external_record", None)
        added.append(feature)
    collection["features"] = added + features
    return json.dumps(collection).encode(), copies


def test_each_new_incident_costs_a_few_queries_not_dozens(everything, reviewer):  # noqa: F811
    data = export("geojson", reviewer)
    wipe()
    geojson.import_file(data, user=reviewer)  # the catalogue, once
    _incidents_only()
    few = _queries(data, reviewer)
    _incidents_only()
    more, added = _more(data, 60)
    many = _queries(more, reviewer)
    assert Incident.objects.count() == len(json.loads(more)["features"])
    # Through the services an incident cost some forty queries; in bulk, its lookup.
    assert (many - few) / added < 4, (few, many)


def test_bulk_written_incidents_have_their_history_groups_and_map(everything, reviewer):  # noqa: F811
    data = export("geojson", reviewer)
    before = {
        i.public_id: (i.status, sorted(g.slug for g in i.victim_groups.all()))
        for i in Incident.objects.prefetch_related("victim_groups")
    }
    wipe()
    PublishedMapCell.objects.all().delete()
    geojson.import_file(data, user=reviewer)
    after = {
        i.public_id: (i.status, sorted(g.slug for g in i.victim_groups.all()))
        for i in Incident.objects.prefetch_related("victim_groups")
    }
    assert after == before
    retracted = Incident.objects.get(title="Retracted")
    trail = list(
        retracted.history.order_by("history_id").values_list(
            "history_change_reason", "status", "history_user"
        )
    )
    assert trail == [
        ("Created", Status.DRAFT, reviewer.pk),
        ("Published", Status.PUBLISHED, reviewer.pk),
        ("Retracted: A duplicate report.", Status.RETRACTED, reviewer.pk),
    ]
    assert retracted.version == 3
    # Each history entry keeps the incident's victim groups, as django-simple-history does.
    grouped = Incident.objects.filter(victim_groups__isnull=False).distinct().first()
    for entry in grouped.history.all():
        assert {g.victimgroup_id for g in entry.victim_groups.all()} == set(
            grouped.victim_groups.values_list("pk", flat=True)
        )
    # The map's cells are those a rebuild computes.
    cells = sorted(PublishedMapCell.objects.values_list("cx", "cy", "count", "killed_best"))
    assert cells
    mapcells.rebuild()
    assert cells == sorted(PublishedMapCell.objects.values_list("cx", "cy", "count", "killed_best"))
