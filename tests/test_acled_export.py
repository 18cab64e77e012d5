"""The ACLED crosswalk: incidents as an ACLED-style CSV, through the API and the command.

Columns and codes follow incidents/crosswalk.py; visibility and filters are those of
incidents.csv (anonymous readers: published incidents only, never a confidential source).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents import crosswalk, services
from incidents.models import (
    Actor,
    EventType,
    ExternalRecord,
    Incident,
    Source,
    SourceKind,
    Status,
)

from .conftest import incident_fields

API = "/api/v1"


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="incidents.acled.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == crosswalk.ACLED_COLUMNS
    return list(reader)


def test_every_published_incident_is_a_row_with_acled_columns(client, seeded):
    rows = rows_of(client.get(f"{API}/incidents.acled.csv"))
    published = Incident.objects.filter(status=Status.PUBLISHED)
    assert {r["event_id_cnty"] for r in rows} == set(published.values_list("public_id", flat=True))
    for row in rows:
        incident = published.get(public_id=row["event_id_cnty"])
        assert row["fatalities"] == str(incident.killed_best or 0)
        assert (row["iso"], row["region"], row["country"]) == ("760", "Middle East", "Syria")
        assert row["event_type"] == crosswalk.EVENT_TYPES[incident.event_type].event_type
        assert row["year"] == row["event_date"][:4]
        assert f"incident={incident.public_id}" in row["tags"]
        assert incident.date_start.isoformat() <= row["event_date"] <= incident.date_end.isoformat()
        assert int(row["timestamp"]) == int(incident.updated_at.timestamp())


def test_a_summary_execution_maps_to_violence_against_civilians(client, seeded):
    arza = Incident.objects.get(public_id="SY-2025-0001")
    assert arza.event_type == EventType.SUMMARY_EXECUTION
    row = next(
        r
        for r in rows_of(client.get(f"{API}/incidents.acled.csv"))
        if r["event_id_cnty"] == "SY-2025-0001"
    )
    assert row["disorder_type"] == "Political violence"
    assert row["event_type"] == "Violence against civilians"
    assert row["sub_event_type"] == "Attack"
    assert row["civilian_targeting"] == "Civilian targeting"
    assert row["actor2"] == "Civilians (Syria)"
    assert row["assoc_actor_2"] == "Alawite civilians"
    assert row["event_date"] == "2025-01-31" and row["time_precision"] == "1"
    assert row["geo_precision"] == "1"  # a settlement
    assert row["admin1"] == crosswalk.ADMIN1[arza.governorate.slug]
    assert row["location"] == arza.place.name
    assert float(row["latitude"]) == round(arza.latitude, 4)
    assert row["notes"].startswith("On 31 January 2025: ")
    assert "killed 8 (range 8-8)" in row["notes"]


def test_perpetrators_sources_ids_and_precisions_map(client, seeded, reviewer):
    state = Actor.objects.get(kind="state_forces")
    militia = Actor.objects.filter(kind="state_affiliated").order_by("name").first()
    monitor = services.source_create(
        user=None, slug="a-monitor", publisher="A monitor", headline="R", kind="monitor_report"
    )
    post = services.source_create(
        user=None, slug="a-post", headline="A post", kind=SourceKind.SOCIAL_MEDIA
    )
    secret = services.source_create(
        user=None,
        slug="secret",
        publisher="Secret informant",
        headline="Interview",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    incident = services.incident_create(
        user=None,
        claims=[
            {"source": monitor, "killed_min": 4, "killed_max": 6, "quote": "Four to six."},
            {"source": post, "killed_min": 5, "quote": "At least five."},
            {"source": secret, "killed_min": 5, "quote": "Five, the witness says."},
        ],
        attributions=[
            {"actor": militia, "confidence": "alleged"},
            {"actor": state, "confidence": "confirmed"},
        ],
        **incident_fields(
            event_type=EventType.SHELLING,
            date_start=dt.date(2025, 3, 1),
            date_end=dt.date(2025, 3, 7),
            date_precision="week",
            location_precision="district",
        ),
    )
    services.incident_publish(incident=incident, user=None)
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR98765")

    response = APIClient().get(f"{API}/incidents.acled.csv?external_id=acled:SYR98765")
    (row,) = rows_of(response)
    assert row["event_id_cnty"] == "SYR98765"
    assert f"incident={incident.public_id}" in row["tags"]
    assert row["event_type"] == "Explosions/Remote violence"
    assert row["sub_event_type"] == "Shelling/artillery/missile attack"
    assert row["civilian_targeting"] == ""
    assert row["actor1"] == state.name and row["inter1"] == "State forces"
    assert row["assoc_actor_1"] == militia.name
    assert row["interaction"] == "State forces only"
    assert row["event_date"] == "2025-03-04" and row["time_precision"] == "2"
    assert row["geo_precision"] == "2"
    assert row["source"] == "A monitor; Unknown publisher"
    assert row["source_scale"] == "New media-Other"
    assert row["fatalities"] == str(Incident.objects.get(pk=incident.pk).killed_best)


def test_anonymous_readers_get_published_incidents_and_no_confidential_source(
    client, seeded, source
):
    secret = Source.objects.create(
        slug="hidden",
        publisher="Hidden outlet",
        headline="x",
        kind="news_article",
        confidential=True,
    )
    draft = Incident.objects.exclude(status=Status.PUBLISHED).first()
    services.claim_add(incident=draft, user=None, source=secret, killed_min=1, quote="One.")
    published = Incident.objects.filter(status=Status.PUBLISHED).first()
    services.claim_add(incident=published, user=None, source=secret, killed_min=1, quote="One.")
    response = client.get(f"{API}/incidents.acled.csv")
    rows = rows_of(response)
    assert draft.public_id not in {r["event_id_cnty"] for r in rows}
    assert all("Hidden outlet" not in r["source"] for r in rows)


def test_it_honours_the_filters_and_refuses_bad_ones(client, seeded, reviewer):
    rows = rows_of(client.get(f"{API}/incidents.acled.csv?governorate=hama-governorate"))
    assert rows and {r["admin1"] for r in rows} == {"Hama"}
    assert client.get(f"{API}/incidents.acled.csv?colour=red").status_code == 400
    client.force_login(reviewer)
    drafts = rows_of(client.get(f"{API}/incidents.acled.csv?status=draft"))
    assert {r["event_id_cnty"] for r in drafts} == set(
        Incident.objects.filter(status=Status.DRAFT).values_list("public_id", flat=True)
    )


def test_every_event_type_and_precision_has_a_mapping():
    assert set(crosswalk.EVENT_TYPES) == set(EventType.values)
    assert set(crosswalk.TIME_PRECISION) == {"day", "days", "week", "month"}
    from mapping.models import LocationPrecision

    assert set(crosswalk.GEO_PRECISION) == set(LocationPrecision.values)
    assert set(crosswalk.SOURCE_SCALE) == set(SourceKind.values)


def test_the_command_writes_the_same_rows(seeded, tmp_path, client):
    path = tmp_path / "acled.csv"
    call_command("export_acled", "--output", str(path))
    from_command = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert from_command == rows_of(client.get(f"{API}/incidents.acled.csv"))
    out = io.StringIO()
    call_command("export_acled", "--all", stdout=out)
    every = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(every) == Incident.objects.count()


@pytest.mark.parametrize("start,end,middle", [("2025-03-06", "2025-03-10", "2025-03-08")])
def test_a_date_range_is_dated_by_its_middle(start, end, middle):
    assert crosswalk.event_date(
        dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    ) == dt.date.fromisoformat(middle)
