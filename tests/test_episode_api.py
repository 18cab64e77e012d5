"""An episode's API document shows each monitor's figure behind a reported aggregate, with
what the episode page shows of it: the kind of measure, the days it covers and the
measure's Arabic heading. A confidential source's figure never appears."""

from __future__ import annotations

import datetime as dt

from incidents import services
from incidents.models import MeasureKind, SourceKind

API = "/api/v1"


def test_each_monitor_figure_shows_its_kind_dates_and_arabic_measure(client, source, db):
    secret = services.source_create(
        user=None,
        slug="secret-testimony",
        publisher="SECRETMARK",
        headline="A testimony",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    episode = services.episode_create(
        user=None,
        slug="coastal-violence",
        title="Coastal violence",
        date_start=dt.date(2025, 3, 6),
        date_end=dt.date(2025, 3, 10),
    )
    common = {"episode": episode, "user": None, "measure": "Civilians killed"}
    services.episode_claim_add(
        **common,
        source=source,
        attributed_to="SNHR",
        measure_ar="المدنيون القتلى",
        measure_kind=MeasureKind.CIVILIANS,
        covers_from=dt.date(2025, 3, 6),
        covers_to=dt.date(2025, 3, 8),
        killed_min=125,
        quote="At least 125 civilians were killed.",
    )
    services.episode_claim_add(
        **common, source=source, killed_min=130, approximate=True, quote="About 130 civilians."
    )
    services.episode_claim_add(
        **common, source=secret, killed_min=999, quote="SECRETMARK: nine hundred."
    )
    response = client.get(f"{API}/episodes/coastal-violence/")
    assert response.status_code == 200
    (aggregate,) = response.json()["reported_aggregates"]
    assert aggregate["claims"] == 2
    assert aggregate["figures"] == [
        {
            "source": "monitor-report",
            "monitor": "SNHR",
            "measure_ar": "المدنيون القتلى",
            "measure_kind": "civilians",
            "covers_from": "2025-03-06",
            "covers_to": "2025-03-08",
            "killed_min": 125,
            "killed_max": None,
            "approximate": False,
        },
        {
            "source": "monitor-report",
            "monitor": "A monitor",
            "measure_ar": "",
            "measure_kind": "other",
            "covers_from": None,
            "covers_to": None,
            "killed_min": 130,
            "killed_max": None,
            "approximate": True,
        },
    ]
    assert "secretmark" not in response.content.decode().lower()
    assert "secret-testimony" not in response.content.decode()


def test_the_schema_documents_the_monitor_figures(client, db):
    schema = client.get(f"{API}/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    aggregate = components["EpisodeReportedAggregate"]["properties"]
    assert aggregate["figures"]["type"] == "array"
    figure = components["MonitorFigure"]
    assert set(figure["required"]) >= {
        "source",
        "monitor",
        "measure_ar",
        "measure_kind",
        "covers_from",
        "covers_to",
    }
    assert figure["properties"]["covers_from"]["format"] == "date"
    assert figure["properties"]["covers_to"]["nullable"] is True
    episode = components["EpisodeDetail"]["properties"]["reported_aggregates"]
    assert episode["items"]["$ref"].endswith("/EpisodeReportedAggregate")
