"""Every array of an export comes in a fixed order (actors, victim groups and data set ids by
slug or id, claims as recorded), so that two exports of one database are byte-identical and
differences between exports are real changes."""

from __future__ import annotations

import csv
import io
import json

from incidents import services
from incidents.models import ExternalRecord, Incident

from .test_round_trip import export


def test_arrays_are_ordered_by_slug_whatever_order_they_were_made_in(seeded, reviewer):
    zeta = services.actor_create(user=None, slug="zeta-brigade", name="Zeta Brigade")
    alpha = services.actor_create(user=None, slug="alpha-brigade", name="Alpha Brigade")
    mu = services.actor_create(user=None, slug="mu-brigade", name="Mu Brigade")
    incident = Incident.objects.get(public_id="SY-2025-0001")
    incident.attributions.all().delete()
    for actor in (mu, zeta, alpha):  # neither the actors' order nor the slugs'
        services.attribution_set(incident=incident, user=None, actor=actor, confidence="alleged")
    ExternalRecord.objects.create(incident=incident, dataset="ucdp", external_id="9")
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR2")
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR1")
    slugs = ["alpha-brigade", "mu-brigade", "zeta-brigade"]

    data = export("geojson", reviewer)
    feature = next(f for f in json.loads(data)["features"] if f["id"] == "SY-2025-0001")
    properties = feature["properties"]
    assert properties["perpetrators"] == slugs
    assert [a["actor"] for a in properties["attributions"]] == slugs
    assert [(e["dataset"], e["id"]) for e in properties["external_ids"]] == [
        ("acled", "SYR1"),
        ("acled", "SYR2"),
        ("ucdp", "9"),
    ]
    row = next(
        r
        for r in csv.DictReader(io.StringIO(export("csv", reviewer).decode("utf-8-sig")))
        if r["id"] == "SY-2025-0001"
    )
    assert row["perpetrators"] == "; ".join(slugs)
    assert row["external_ids"] == "acled:SYR1; acled:SYR2; ucdp:9"
    assert export("geojson", reviewer) == data
