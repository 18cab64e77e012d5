"""The exports as they were built before they were assembled per chunk: every feature and
CSV row made by the database with one correlated subquery per list (claims, attributions,
victim groups, outside records, first ACLED and UCDP ids) and a join for ``merged_into``.

Kept here only so that tests can compare what the exports write now with what this path
wrote, on the same data, on both databases (tests/test_export_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from django.db.models import F, OuterRef, QuerySet, TextField, Value
from django.db.models.functions import Coalesce

from incidents.api.exports import (
    _CSV_LATER,
    _CSV_SOURCES,
    _FORMULA_START,
    CSV_COLUMNS,
    CSV_JSON_COLUMNS,
    _attributions_json,
    _claims_json,
    _external_records_json,
    _origin,
    _safe,
    _with_parents,
    actor_records,
    catalogue,
    episode_records,
    geojson_features,
    group_records,
    ordered,
    source_records,
)
from incidents.api.readable import READABLE_COLUMNS, Readable
from incidents.api.sqljson import AsText
from incidents.csvtext import csv_line
from incidents.fieldspec import incident_fields
from incidents.models import Actor, Episode, ExternalDataset, Incident, Source, VictimGroup

CHUNK = 3


def stream_geojson(incidents: QuerySet[Incident], *, internal: bool = False) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    features = list(geojson_features(incidents, internal=internal))
    yield ",".join(features).encode()
    yield b'],"catalogue":' + orjson.dumps(catalogue(incidents, internal=internal)) + b"}"


_DERIVED = frozenset(name for name, source in _CSV_SOURCES.items() if source is None)
_NAMES = (*_CSV_SOURCES, *_CSV_LATER)
_READ = tuple(name for name in _NAMES if name not in _DERIVED)
_AT = {name: index for index, name in enumerate(_READ)}
_TIMESTAMPS = (_AT["updated_at"], _AT["published_at"])
_FLAGS = tuple(_AT[f.exported_as] for f in incident_fields(exported=True) if f.kind == "flag")
_GUARDED = frozenset("'=+-@\t\r")
_DERIVED_ORDER = (
    "perpetrators",
    "sources",
    "claim_count",
    "acled_event_id",
    "ucdp_ged_id",
    "external_ids",
)
_POOL = (*_READ, *_DERIVED_ORDER, "catalogue", *READABLE_COLUMNS)
_ORDER = tuple(_POOL.index(name) for name in CSV_COLUMNS)
_GUARD_AT = tuple(
    at for at, name in enumerate(_POOL) if name not in CSV_JSON_COLUMNS and at not in _TIMESTAMPS
)
assert _FORMULA_START


def csv_rows(incidents: QuerySet[Incident], *, internal: bool = False) -> QuerySet:
    sources = {**_CSV_SOURCES, **_CSV_LATER}
    return (
        incidents.order_by("date_start", "pk")
        .annotate(
            victim_group_list=Coalesce(
                ordered(
                    Incident.victim_groups.through.objects.filter(incident=OuterRef("pk")),
                    F("victimgroup__slug"),
                    "victimgroup__slug",
                    kind="text",
                ),
                Value(""),
                output_field=TextField(),
            ),
            attribution_json=AsText(_attributions_json()),
            claim_json=AsText(_claims_json(internal=internal)),
            external_record_json=AsText(_external_records_json()),
            **_origin(),
        )
        .values_list(*(sources[name] for name in _READ))
    )


def _derived(claims: list[dict], attributions: list[dict], records: list[dict]) -> list[Any]:
    first: dict[str, str] = {}
    for record in records:
        first.setdefault(record["dataset"], record["id"])
    return [
        "; ".join(a["actor"] for a in attributions),
        "; ".join(c["source"] for c in claims),
        len(claims),
        first.get(ExternalDataset.ACLED),
        first.get(ExternalDataset.UCDP),
        "; ".join(f"{r['dataset']}:{r['id']}" for r in records),
    ]


def _csv_catalogue(rows, decoded, seen, *, internal):
    wanted = []
    for row, (claims, attributions) in zip(rows, decoded, strict=True):
        wanted.append(
            {
                "sources": {c["source"] for c in claims},
                "actors": {a["actor"] for a in attributions}
                | {c["perpetrator"] for c in claims if c["perpetrator"]},
                "episodes": {row[_AT["episode"]]} if row[_AT["episode"]] else set(),
                "victim_groups": set(filter(None, row[_AT["victim_groups"]].split("; "))),
            }
        )
    needed = {kind: set().union(*(w[kind] for w in wanted)) - seen[kind] for kind in seen}
    if not any(needed.values()):
        return [""] * len(rows)
    episodes = episode_records(
        Episode.objects.filter(slug__in=needed["episodes"]), internal=internal
    )
    for episode in episodes:
        needed["sources"] |= {c["source"] for c in episode["claims"]} - seen["sources"]
    actors = actor_records(
        Actor.objects.filter(slug__in=needed["actors"]).values_list("pk", flat=True)
    )
    records = {
        "sources": {
            r["slug"]: r
            for r in source_records(
                Source.objects.filter(slug__in=needed["sources"]), internal=internal
            )
        },
        "actors": {r["slug"]: r for r in actors},
        "episodes": {r["slug"]: r for r in episodes},
        "victim_groups": {
            r["slug"]: r
            for r in group_records(VictimGroup.objects.filter(slug__in=needed["victim_groups"]))
        },
    }
    cells = []
    for w in wanted:
        entry: dict[str, list[dict]] = {}
        for episode_slug in w["episodes"]:
            if episode_slug in records["episodes"]:
                w["sources"] |= {c["source"] for c in records["episodes"][episode_slug]["claims"]}
        for kind in ("sources", "actors", "episodes", "victim_groups"):
            if kind == "actors":
                names = _with_parents(w["actors"], records["actors"])
            else:
                names = sorted(w[kind])
            fresh = [records[kind][n] for n in names if n not in seen[kind] and n in records[kind]]
            if fresh:
                entry[kind] = fresh
                seen[kind].update(r["slug"] for r in fresh)
        cells.append(orjson.dumps(entry).decode() if entry else "")
    return cells


def _labeller(readable: Readable):
    """One row's readable cells, as the row-by-row writer made them: the chunked writer's
    columns for a chunk of one."""
    columns = readable.columns()

    def cells(event_type, governorate, attributions, claims, public_id) -> list[str]:
        made = columns([event_type], [governorate], [attributions], [claims], [public_id])
        return [column[0] for column in made]

    return cells


def stream_csv(
    incidents: QuerySet[Incident], *, internal: bool = False, readable: Readable | None = None
) -> Iterator[str]:
    yield "\ufeff" + csv_line(CSV_COLUMNS)
    labels = _labeller(readable or Readable())
    at_event_type, at_governorate, at_id = _AT["event_type"], _AT["governorate"], _AT["id"]
    seen: dict[str, set] = {
        kind: set() for kind in ("sources", "actors", "episodes", "victim_groups")
    }
    at_claims, at_attributions = _AT["claims"], _AT["attributions"]
    at_records = _AT["external_records"]
    rows = list(csv_rows(incidents, internal=internal))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        decoded = [
            (orjson.loads(row[at_claims] or "[]"), orjson.loads(row[at_attributions] or "[]"))
            for row in chunk
        ]
        cells = _csv_catalogue(chunk, decoded, seen, internal=internal)
        lines = []
        for row, (claims, attributions), cell in zip(chunk, decoded, cells, strict=True):
            derived = _derived(claims, attributions, orjson.loads(row[at_records] or "[]"))
            readable_cells = labels(
                row[at_event_type], row[at_governorate], attributions, claims, row[at_id]
            )
            pool = [*row, *derived, cell, *readable_cells]
            for at in _TIMESTAMPS:
                pool[at] = pool[at].isoformat() if pool[at] else ""
            for at in _FLAGS:
                pool[at] = "true" if pool[at] else "false"
            for at in _GUARD_AT:
                value = pool[at]
                if type(value) is str and value[:1] in _GUARDED:
                    pool[at] = _safe(value)
            lines.append(csv_line([pool[at] for at in _ORDER]))
        yield "".join(lines)
