"""How many flagged pairs a researcher would merge: precision and recall of duplicate
flagging after importing an ACLED file and a UCDP GED file of the same months.

    DATABASE_URL=sqlite:///var/duplicates-precision.sqlite3 \\
        .venv/bin/python bench/duplicates_precision.py

The files are SYNTHETIC, shaped like the real ones (ACLED's current layout, GED 23.1): two
months of events around the gazetteer's towns, ACLED's way of listing a day of shelling as
several rows a few hundred metres apart, actors in each data set's own spelling. Some GED
rows are the same events as ACLED rows (planted: the point up to 3 km off, the date a day
off now and then, the figure a little different), the others are not: events ACLED does
not have, and events in the same town on the same day by other actors. The truth is known,
so every flagged pair is judged: a pair is right when it joins an ACLED row and the GED row
planted from it. Real files would score differently; this measures the rules, not the data.

Needs a database of its own (it deletes every incident first).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

# (ACLED name, inter, GED name): the same actor in each data set's spelling.
ACTORS = [
    ("Military Forces of Syria (2000-2024)", "State forces", "Government of Syria"),
    ("Islamic State (Syria)", "Rebel group", "IS"),
    ("Hayat Tahrir al-Sham", "Rebel group", "Hayat Tahrir al-Sham"),
    ("SDF: Syrian Democratic Forces", "Rebel group", "SDF"),
    ("Opposition Rebels (Syria)", "Rebel group", "Syrian insurgents"),
    ("Military Forces of Turkey (2016-)", "External/Other forces", "Government of Turkey"),
]
# (ACLED event type, sub-event type, weight, whether the other side is civilians)
EVENTS = [
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 35, True),
    ("Explosions/Remote violence", "Air/drone strike", 25, True),
    ("Battles", "Armed clash", 30, False),
    ("Violence against civilians", "Attack", 10, True),
]
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip
GED_COLUMNS = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_new_id",
    "conflict_name", "dyad_new_id", "dyad_name", "side_a_new_id", "gwnoa", "side_a",
    "side_b_new_id", "gwnob", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid",
    "country", "country_id", "region", "event_clarity", "date_prec", "date_start", "date_end",
    "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low",
]  # fmt: skip
START = date(2019, 5, 1)
DAYS = 61


def _csv(columns: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _towns(count: int, rng: random.Random) -> list:
    from mapping.models import Place, PlaceKind

    places = list(
        Place.objects.filter(
            kind__in=[PlaceKind.CITY, PlaceKind.TOWN, PlaceKind.VILLAGE],
            parent__isnull=False,
        ).order_by("slug")
    )
    return rng.sample(places, min(count, len(places)))


def _acled(rng: random.Random, towns: list, episodes: int) -> list[dict]:
    """Events as ACLED lists them: an episode (a day's shelling of a town, a clash) is one
    to four rows, a few hundred metres and up to a day apart."""
    events = []
    n = 0
    weights = [weight for *_, weight, _ in EVENTS]
    for episode in range(episodes):
        town = rng.choice(towns)
        day = START + timedelta(days=rng.randrange(DAYS))
        kind = rng.choices(EVENTS, weights)[0]
        actor = rng.choice(ACTORS[:3] if kind[3] else ACTORS)
        enemy = rng.choice([a for a in ACTORS if a is not actor])
        for _ in range(rng.choice([1, 1, 2, 3, 4])):
            n += 1
            when = day + timedelta(days=rng.choice([0, 0, 0, 1]))
            events.append(
                {
                    "id": f"SYR9{n:05d}",
                    "episode": episode,
                    "town": town,
                    "date": when,
                    "kind": kind,
                    "actor": actor,
                    "enemy": None if kind[3] else enemy,
                    "lat": town.latitude + rng.uniform(-0.004, 0.004),
                    "lon": town.longitude + rng.uniform(-0.004, 0.004),
                    "killed": rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 10, 15]),
                }
            )
    return events


def _acled_row(event: dict) -> dict[str, str]:
    event_type, sub_event, _, civilians = event["kind"]
    actor, inter, _ = event["actor"]
    enemy = event["enemy"]
    town = event["town"]
    return {
        "event_id_cnty": event["id"],
        "event_date": event["date"].isoformat(),
        "year": str(event["date"].year),
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": event_type,
        "sub_event_type": sub_event,
        "actor1": actor,
        "assoc_actor_1": "",
        "inter1": inter,
        "actor2": "Civilians (Syria)" if civilians else enemy[0],
        "assoc_actor_2": "",
        "inter2": "Civilians" if civilians else enemy[1],
        "interaction": "",
        "civilian_targeting": "Civilian targeting" if civilians else "",
        "iso": "760",
        "region": "Middle East",
        "country": "Syria",
        "admin1": town.governorate.name.removesuffix(" Governorate") if town.governorate else "",
        "admin2": "",
        "admin3": "",
        "location": town.name,
        "latitude": f"{event['lat']:.4f}",
        "longitude": f"{event['lon']:.4f}",
        "geo_precision": "1",
        "source": "SOHR",
        "source_scale": "National",
        "notes": f"{sub_event} in {town.name}; {event['killed']} killed.",
        "fatalities": str(event["killed"]),
        "tags": "",
        "timestamp": "1600000000",
    }


def _ged_row(
    ident: str, town, when: date, side_a: str, side_b: str, violence: str, killed: int, point
) -> dict[str, str]:
    row = dict.fromkeys(GED_COLUMNS, "")
    stamp = f"{when.isoformat()} 00:00:00.000"
    row.update(
        id=ident,
        relid=f"SYR-{when.year}-1-{ident}",
        year=str(when.year),
        active_year="1",
        code_status="Clear",
        type_of_violence=violence,
        side_a=side_a,
        side_b=side_b,
        dyad_name=f"{side_a} - {side_b}",
        number_of_sources="1",
        source_office="SOHR",
        source_date=when.isoformat(),
        source_headline=f"Violence in {town.name}",
        where_prec="1",
        where_coordinates=f"{town.name} town",
        where_description=town.name,
        adm_1=town.governorate.name if town.governorate else "",
        latitude=f"{point[0]:.4f}",
        longitude=f"{point[1]:.4f}",
        country="Syria",
        country_id="652",
        region="Middle East",
        event_clarity="1",
        date_prec="1",
        date_start=stamp,
        date_end=stamp,
        deaths_a="0",
        deaths_b="0",
        deaths_civilians=str(killed) if side_b == "Civilians" else "0",
        deaths_unknown="0" if side_b == "Civilians" else str(killed),
        best=str(killed),
        high=str(killed),
        low=str(killed),
    )
    return row


def _ged(
    rng: random.Random, events: list[dict], towns: list
) -> tuple[list[dict], set, dict[str, int]]:
    """GED rows: planted copies of ACLED events with deaths (the GED records only deadly
    events), and as many again that are not ACLED's: half in the same town on the same day
    by other actors, half elsewhere."""
    rows, truth = [], set()
    episodes: dict[str, int] = {}  # planted GED id -> the ACLED episode it copies
    deadly = [event for event in events if event["killed"] > 0]
    planted = rng.sample(deadly, len(deadly) * 6 // 10)
    n = 0
    for event in planted:
        n += 1
        ident = f"{800000 + n}"
        _, _, ged_actor = event["actor"]
        civilians = event["kind"][3]
        side_b = "Civilians" if civilians else event["enemy"][2]
        violence = "3" if civilians else ("1" if ged_actor.startswith("Government") else "2")
        shift = rng.uniform(0, 0.027)  # up to 3 km
        point = (
            event["lat"] + shift * rng.choice([-1, 1]),
            event["lon"] + rng.uniform(-0.01, 0.01),
        )
        when = event["date"] + timedelta(days=rng.choice([0, 0, 0, 0, 1, -1]))
        killed = max(1, event["killed"] + rng.choice([0, 0, 0, 1, -1, 2]))
        rows.append(
            _ged_row(ident, event["town"], when, ged_actor, side_b, violence, killed, point)
        )
        truth.add((event["id"], ident))
        episodes[ident] = event["episode"]
    for _ in range(len(planted)):
        n += 1
        ident = f"{800000 + n}"
        if rng.random() < 0.5:
            # The same town, the same day, other actors: another event.
            event = rng.choice(events)
            others = [a for a in ACTORS if a is not event["actor"] and a is not event["enemy"]]
            first, second = rng.sample(others, 2)
            town, when = event["town"], event["date"]
            point = (event["lat"] + rng.uniform(-0.01, 0.01), event["lon"])
            side_a, side_b = first[2], second[2]
        else:
            town = rng.choice(towns)
            when = START + timedelta(days=rng.randrange(DAYS))
            point = (town.latitude, town.longitude)
            side_a, side_b = rng.choice(ACTORS)[2], "Civilians"
        violence = "3" if side_b == "Civilians" else "2"
        rows.append(
            _ged_row(ident, town, when, side_a, side_b, violence, rng.randint(1, 12), point)
        )
    return rows, truth, episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1200)
    parser.add_argument("--towns", type=int, default=60)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sample", type=int, default=50)
    args = parser.parse_args()
    setup()
    from django.core.management import call_command

    from incidents.imports import acled, ucdp
    from incidents.models import DuplicateCandidate, ExternalRecord, Incident

    call_command("migrate", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
    DuplicateCandidate.objects.all().delete()
    ExternalRecord.objects.all().delete()
    Incident.objects.all().delete()
    rng = random.Random(args.seed)
    towns = _towns(args.towns, rng)
    events = _acled(rng, towns, args.episodes)
    ged_rows, truth, planted_episodes = _ged(rng, events, towns)
    episode_of = {event["id"]: event["episode"] for event in events}

    started = time.perf_counter()
    first = acled.import_file(_csv(ACLED_COLUMNS, [_acled_row(e) for e in events]))
    print(f"ACLED (synthetic): {len(events)} rows: {first.summary()}")
    second = ucdp.import_file(_csv(GED_COLUMNS, ged_rows))
    print(f"GED (synthetic): {len(ged_rows)} rows, {len(truth)} planted: {second.summary()}")
    print(f"imports and flagging: {time.perf_counter() - started:.1f} s")

    ids: dict[int, tuple[str, str]] = {
        incident_id: (dataset, external_id)
        for incident_id, dataset, external_id in ExternalRecord.objects.values_list(
            "incident_id", "dataset", "external_id"
        )
    }
    pairs = list(DuplicateCandidate.objects.order_by("-score", "first_id", "second_id"))

    def right(pair) -> bool:
        a, b = ids[pair.first_id], ids[pair.second_id]
        acled_id = a[1] if a[0] == "acled" else b[1]
        ged_id = b[1] if b[0] == "ucdp" else a[1]
        return a[0] != b[0] and (acled_id, ged_id) in truth

    def sibling(pair) -> bool:
        """Wrong, but joins the GED copy of an episode with another ACLED row of it (ACLED
        lists a day's shelling as several rows; the GED may count them as one event)."""
        a, b = ids[pair.first_id], ids[pair.second_id]
        acled_id = a[1] if a[0] == "acled" else b[1]
        ged_id = b[1] if b[0] == "ucdp" else a[1]
        return planted_episodes.get(ged_id, -1) == episode_of.get(acled_id, -2)

    same_set = sum(1 for p in pairs if ids[p.first_id][0] == ids[p.second_id][0])
    good = sum(1 for p in pairs if right(p))
    print(f"flagged pairs: {len(pairs)} ({same_set} within one data set)")
    if pairs:
        print(f"precision, all flagged: {good}/{len(pairs)} = {good / len(pairs):.0%}")
        siblings = sum(1 for p in pairs if not right(p) and sibling(p))
        print(
            f"  of the {len(pairs) - good} wrong: {siblings} join the GED event with another "
            f"ACLED row of the same episode (same town, actor, a day), "
            f"{len(pairs) - good - siblings} join unrelated events"
        )
        top = pairs[: args.sample]
        top_good = sum(1 for p in top if right(p))
        print(
            f"precision, top {len(top)} by score: {top_good}/{len(top)} = {top_good / len(top):.0%}"
        )
        sample = rng.sample(pairs, min(args.sample, len(pairs)))
        sample_good = sum(1 for p in sample if right(p))
        print(
            f"precision, {len(sample)} flagged pairs drawn at random: "
            f"{sample_good}/{len(sample)} = {sample_good / len(sample):.0%}"
        )
    print(f"recall: {good}/{len(truth)} planted pairs flagged = {good / len(truth):.0%}")


if __name__ == "__main__":
    main()
