"""Loading the seed data set (``fixtures/seed/*.json``) through the services.

Incidents name their places by gazetteer slug, so the gazetteer must be loaded first
(``manage.py load_gazetteer``; ``make seed`` does both). Their governorate and district
follow from their point (see ``incidents.services``).

The loader is idempotent: every record has a natural key (a slug, or an incident's public
id), and a record that already exists is left as it is, so running it again, or after
researchers have edited the seed records, changes nothing and duplicates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from mapping.models import Place

from . import services
from .models import Actor, Episode, EpisodeClaim, Incident, Source, Status, VictimGroup

SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed"


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + 1

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.existing))
        return ", ".join(
            f"{kind}: {self.created.get(kind, 0)} created, {self.existing.get(kind, 0)} present"
            for kind in kinds
        )


def _dates(values: dict[str, Any], *names: str) -> dict[str, Any]:
    return {**values, **{n: date.fromisoformat(values[n]) for n in names if values.get(n)}}


def _gazetteer_places(data: dict[str, Any]) -> dict[str, Place]:
    """The gazetteer places the seed's incidents name, by slug; all must exist."""
    wanted = {
        raw[key]
        for raw in data.get("incidents", [])
        for key in ("place", "governorate", "district")
        if raw.get(key)
    }
    places = Place.objects.in_bulk(wanted, field_name="slug")
    missing = sorted(wanted - set(places))
    if missing:
        raise ValidationError(
            f"The seed names places the gazetteer lacks: {', '.join(missing)}. "
            "Load the gazetteer first: manage.py load_gazetteer."
        )
    return places


@transaction.atomic
def load_seed(path: Path) -> SeedReport:
    data = json.loads(path.read_text(encoding="utf-8"))
    report = SeedReport()

    places = _gazetteer_places(data)

    actors: dict[str, Actor] = {}
    for raw in data.get("actors", []):
        values = dict(raw)
        parent = values.pop("parent", None)
        actor = Actor.objects.filter(slug=values["slug"]).first()
        report.count("actors", actor is None)
        if actor is None:
            actor = services.actor_create(
                user=None, parent=actors[parent] if parent else None, **values
            )
        actors[actor.slug] = actor

    groups: dict[str, VictimGroup] = {}
    for raw in data.get("victim_groups", []):
        existed = VictimGroup.objects.filter(slug=raw["slug"]).exists()
        report.count("victim groups", not existed)
        groups[raw["slug"]] = services.victim_group_get_or_create(**raw)

    sources: dict[str, Source] = {}
    for raw in data.get("sources", []):
        source = Source.objects.filter(slug=raw["slug"]).first()
        report.count("sources", source is None)
        if source is None:
            source = services.source_create(user=None, **_dates(raw, "publication_date"))
        sources[source.slug] = source

    episodes: dict[str, Episode] = {}
    for raw in data.get("episodes", []):
        values = _dates(raw, "date_start", "date_end")
        claims = values.pop("claims", [])
        episode = Episode.objects.filter(slug=values["slug"]).first()
        report.count("episodes", episode is None)
        if episode is None:
            episode = services.episode_create(user=None, **values)
            for claim in claims:
                services.episode_claim_add(
                    episode=episode,
                    user=None,
                    **{
                        **_dates(claim, "covers_from", "covers_to"),
                        "source": sources[claim["source"]],
                    },
                )
                report.count("episode claims", True)
        else:
            for _ in EpisodeClaim.objects.filter(episode=episode):
                report.count("episode claims", False)
        episodes[episode.slug] = episode

    for raw in data.get("incidents", []):
        if Incident.objects.filter(public_id=raw["public_id"]).exists():
            report.count("incidents", False)
            continue
        report.count("incidents", True)
        values = _dates(raw, "date_start", "date_end")
        status = values.pop("status", Status.DRAFT)
        claims = [
            {
                **claim,
                "source": sources[claim["source"]],
                **(
                    {"perpetrator": actors[claim["perpetrator"]]}
                    if claim.get("perpetrator")
                    else {}
                ),
            }
            for claim in values.pop("claims", [])
        ]
        attributions = [
            {**attribution, "actor": actors[attribution["actor"]]}
            for attribution in values.pop("attributions", [])
        ]
        victim_groups = [groups[slug] for slug in values.pop("victim_groups", [])]
        for key, lookup in (("place", places), ("governorate", places), ("district", places)):
            if values.get(key):
                values[key] = lookup[values[key]]
        if values.get("episode"):
            values["episode"] = episodes[values["episode"]]
        incident = services.incident_create(
            user=None,
            claims=claims,
            attributions=attributions,
            victim_groups=victim_groups,
            **values,
        )
        if status == Status.IN_REVIEW:
            services.incident_submit_for_review(incident=incident, user=None)
        elif status == Status.PUBLISHED:
            services.incident_publish(incident=incident, user=None)
    return report
