"""An open upper bound ("at least 7") stays open everywhere: the stored figures, the API
document and schema, the statistics and map totals, the exports, the map cells, the public
pages in English and Arabic, and the migration that recomputes existing incidents."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client

from incidents import services
from incidents.api.readable import READABLE_COLUMNS
from incidents.models import Incident, PublishedMapCell, Status
from incidents.readmodel import mapcells
from incidents.reconciliation import recompute_open_bounds

from .conftest import incident_fields

API = "/api/v1"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def at_least_7(reviewer, source) -> Incident:
    """The Kafr Nabl example: SNHR says at least 7 civilians were killed; published."""
    incident = services.incident_create(
        user=reviewer,
        claims=[
            {
                "source": source,
                "killed_min": 7,
                "figure_kind": "at_least",
                "attributed_to": "SNHR",
                "quote": "At least 7 civilians were killed in shelling of Kafr Nabl.",
            }
        ],
        **incident_fields(title="Shelling of Kafr Nabl", latitude=35.61, longitude=36.56),
    )
    services.incident_publish(incident=incident, user=reviewer)
    incident.refresh_from_db()
    return incident


@pytest.fixture
def closed_5_to_9(reviewer, news_source) -> Incident:
    incident = services.incident_create(
        user=reviewer,
        claims=[
            {
                "source": news_source,
                "killed_min": 5,
                "killed_max": 9,
                "figure_kind": "range",
                "quote": "Between 5 and 9 people were killed.",
            }
        ],
        **incident_fields(title="A closed range", latitude=35.62, longitude=36.57),
    )
    services.incident_publish(incident=incident, user=reviewer)
    incident.refresh_from_db()
    return incident


# --- stored figures -------------------------------------------------------------------------


def test_at_least_7_is_stored_as_7_with_an_open_high(at_least_7):
    assert (at_least_7.killed_low, at_least_7.killed_best, at_least_7.killed_high) == (7, 7, None)
    assert at_least_7.killed_high_open


def test_a_closed_claim_added_beside_it_does_not_close_the_high(at_least_7, reviewer, news_source):
    services.claim_add(
        incident=at_least_7,
        user=reviewer,
        source=news_source,
        killed_min=9,
        killed_max=9,
        figure_kind="exact",
        quote="Nine people were killed.",
    )
    at_least_7.refresh_from_db()
    assert (at_least_7.killed_low, at_least_7.killed_high, at_least_7.killed_high_open) == (
        7,
        None,
        True,
    )


@pytest.mark.parametrize(
    ("figures", "field", "message"),
    [
        (
            {"killed_low": 7, "killed_best": 7, "killed_high": 9, "killed_high_open": True},
            "killed_high",
            "An open upper bound has no high figure",
        ),
        ({"killed_low": 7, "killed_best": 7}, "killed_high", "tick “upper bound open”"),
        ({"killed_high_open": True}, "killed_low", "still needs low and best"),
        (
            {"killed_low": 8, "killed_best": 7, "killed_high_open": True},
            "killed_best",
            "Best cannot be below low",
        ),
    ],
)
def test_manual_figures_with_a_bad_open_high_are_field_errors(
    at_least_7, reviewer, figures, field, message
):
    with pytest.raises(ValidationError) as error:
        services.incident_set_figures(
            incident=at_least_7,
            user=reviewer,
            expected_version=at_least_7.version,
            rule="manual",
            figures=figures,
            rationale="By hand.",
        )
    assert message in " ".join(error.value.message_dict[field])
    at_least_7.refresh_from_db()
    assert at_least_7.figure_rule == "range_of_claims"


def test_manual_figures_may_leave_the_high_open(at_least_7, reviewer):
    services.incident_set_figures(
        incident=at_least_7,
        user=reviewer,
        expected_version=at_least_7.version,
        rule="manual",
        figures={"killed_low": 7, "killed_best": 8, "killed_high_open": True},
        rationale="Seven named, an eighth reported; no ceiling.",
    )
    at_least_7.refresh_from_db()
    assert (at_least_7.killed_low, at_least_7.killed_best, at_least_7.killed_high) == (7, 8, None)
    assert at_least_7.killed_high_open


# --- API ------------------------------------------------------------------------------------


def test_the_api_gives_a_null_high_with_high_open(client, at_least_7, closed_5_to_9):
    killed = client.get(f"{API}/incidents/{at_least_7.public_id}/").json()["killed"]
    assert (killed["low"], killed["best"], killed["high"], killed["high_open"]) == (
        7,
        7,
        None,
        True,
    )
    closed = client.get(f"{API}/incidents/{closed_5_to_9.public_id}/").json()["killed"]
    assert (closed["high"], closed["high_open"]) == (9, False)
    claim = client.get(f"{API}/incidents/{at_least_7.public_id}/").json()["claims"][0]
    assert (claim["killed_max"], claim["figure_kind"]) == (None, "at_least")


def test_the_openapi_schema_documents_the_flag(client):
    schema = client.get(f"{API}/schema/", HTTP_ACCEPT="application/json").json()
    killed = schema["components"]["schemas"]["Killed"]["properties"]
    assert killed["high_open"]["type"] == "boolean"
    assert "at least 7" in killed["high_open"]["description"]
    figures = schema["components"]["schemas"]["Figures"]["properties"]
    assert "killed_high_open" in figures
    assert "figure_kind" in schema["components"]["schemas"]["Claim"]["properties"]


def test_statistics_count_the_incidents_with_an_open_high(client, at_least_7, closed_5_to_9):
    totals = client.get(f"{API}/statistics/").json()["totals"]
    # The open incident adds its best (7) to the high: a floor of the total's high.
    assert totals == {
        "incidents": 2,
        "killed_low": 12,
        "killed_best": 14,
        "killed_high": 16,
        "killed_high_open": 1,
    }


def test_the_map_totals_and_points_carry_the_open_high(client, at_least_7, closed_5_to_9, settings):
    points = client.get(f"{API}/map/?zoom=8").json()
    assert points["totals"]["killed_high_open"] == 1
    assert points["totals"]["killed_high"] == 16
    point = next(p for p in points["incidents"] if p["id"] == at_least_7.public_id)
    assert (point["killed_high"], point["killed_high_open"]) == (None, True)
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 1}
    cells = client.get(f"{API}/map/?zoom=4").json()
    assert cells["mode"] == "cells"
    assert cells["totals"] == points["totals"]
    assert sum(c["killed_high_open"] for c in cells["cells"]) == 1


def test_map_cells_sum_an_open_high_as_its_best_and_count_it(at_least_7, closed_5_to_9):
    cells = list(PublishedMapCell.objects.all())
    assert sum(c.killed_high for c in cells) == 16
    assert sum(c.killed_high_open for c in cells) == 1
    before = sorted((c.cx, c.cy, c.killed_high, c.killed_high_open) for c in cells)
    mapcells.rebuild()
    after = sorted(
        (c.cx, c.cy, c.killed_high, c.killed_high_open) for c in PublishedMapCell.objects.all()
    )
    assert after == before


# --- exports --------------------------------------------------------------------------------


def test_geojson_and_csv_carry_the_flag(client, at_least_7, closed_5_to_9):
    features = json.loads(body(client.get(f"{API}/incidents.geojson")))["features"]
    props = {f["id"]: f["properties"] for f in features}
    assert props[at_least_7.public_id]["killed_high"] is None
    assert props[at_least_7.public_id]["killed_high_open"] is True
    assert props[closed_5_to_9.public_id]["killed_high_open"] is False
    assert props[at_least_7.public_id]["sources"][0]["figure_kind"] == "at_least"

    text = body(client.get(f"{API}/incidents.csv")).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    # A new column goes at the end, so that scripts reading earlier exports keep working
    # (only the readable columns, added later, come after it).
    assert reader.fieldnames[-1 - len(READABLE_COLUMNS)] == "killed_high_open"
    rows = {row["id"]: row for row in reader}
    row = rows[at_least_7.public_id]
    assert (row["killed_high"], row["killed_high_open"]) == ("", "true")
    assert rows[closed_5_to_9.public_id]["killed_high_open"] == "false"


def test_the_acled_style_export_never_writes_a_ceiling(client, at_least_7):
    text = body(client.get(f"{API}/incidents.acled.csv")).decode("utf-8-sig")
    assert "range 7-open" in text and "range 7-None" not in text


# --- public pages ---------------------------------------------------------------------------


def test_the_public_page_says_7_or_more_in_english_and_arabic(at_least_7):
    client = Client()
    page = client.get(f"/incidents/{at_least_7.public_id}/").content.decode()
    assert "low 7, best 7, no upper bound: 7 or more" in page
    assert "high None" not in page and "high 7" not in page
    arabic = client.get(
        f"/incidents/{at_least_7.public_id}/", HTTP_ACCEPT_LANGUAGE="ar"
    ).content.decode()
    assert "بلا حد أعلى: 7 أو أكثر" in arabic


def test_a_claim_reads_as_its_source_put_it(client, seeded):
    page = client.get("/incidents/SY-2025-0002/").content.decode()
    # "over 100", recorded as a minimum of 101 with its kind
    assert "more than 100" in page
    arabic = client.get("/incidents/SY-2025-0002/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "أكثر من 100" in arabic


def test_the_map_page_has_the_open_high_strings_in_arabic(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "أو أكثر" in page and "حوادث بلا حد أعلى" in page
    assert 'data-total="killed_high_open"' in page


def test_the_episode_page_says_how_many_incidents_have_an_open_high(client, seeded):
    page = client.get("/episodes/march-2025-coastal-violence/").content.decode()
    assert "incidents with no upper bound: 3" in page
    assert "no upper bound: 125 or more" in page  # SNHR's "at least 125" and "at least 134"


# --- existing records -----------------------------------------------------------------------


def test_the_migration_helper_reopens_highs_recorded_as_ceilings(at_least_7, closed_5_to_9):
    # As an earlier release stored it: the claim's minimum as a ceiling.
    Incident.objects.filter(pk=at_least_7.pk).update(killed_high=7, killed_high_open=False)
    mapcells.rebuild()
    assert recompute_open_bounds(apps) == 1
    at_least_7.refresh_from_db()
    assert (at_least_7.killed_high, at_least_7.killed_high_open) == (None, True)
    assert sum(c.killed_high_open for c in PublishedMapCell.objects.all()) == 1
    assert Incident.objects.get(pk=closed_5_to_9.pk).killed_high == 9
    assert recompute_open_bounds(apps) == 0
    assert Incident.objects.filter(status=Status.PUBLISHED).count() == 2
