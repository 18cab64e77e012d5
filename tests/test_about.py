"""The about page, the codebook and the readable downloads, through the HTTP client."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.db.models import Max, Min
from django.test import Client

from incidents import about, codebook, selectors, vocabulary
from incidents.api.exports import CSV_COLUMNS
from incidents.models import (
    Confidence,
    DatePrecision,
    EventType,
    FigureRule,
    Grade,
    Incident,
    Status,
)
from mapping.models import LocationPrecision

API = "/api/v1"

# The CSV's columns before the readable ones were appended: scripts read them by position.
EARLIER_CSV_COLUMNS = (
    "id",
    "title",
    "title_ar",
    "event_type",
    "date_start",
    "date_end",
    "date_precision",
    "latitude",
    "longitude",
    "location_precision",
    "place_name",
    "place",
    "governorate",
    "district",
    "killed_low",
    "killed_best",
    "killed_high",
    "civilians",
    "children",
    "women",
    "medical_personnel",
    "security_forces",
    "combatants",
    "figure_rule",
    "grade",
    "status",
    "episode",
    "perpetrators",
    "sources",
    "claim_count",
    "summary",
    "summary_ar",
    "updated_at",
    "location_note",
    "figure_rationale",
    "retraction_reason",
    "published_at",
    "merged_into",
    "victim_groups",
    "attributions",
    "claims",
    "acled_event_id",
    "ucdp_ged_id",
    "external_ids",
    "catalogue",
    "external_records",
    "origin_database",
    "origin_id",
    "killed_high_open",
)


def text_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def csv_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text_of(response))))


def arabic() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="ar")


def test_about_page_covers_the_published_records_only(client, seeded):
    published = Incident.objects.filter(status=Status.PUBLISHED)
    span = published.aggregate(first=Min("date_start"), last=Max("date_end"))
    draft = Incident.objects.get(public_id="SY-2025-0011")  # Tuwaym, a draft
    assert draft.status == Status.DRAFT
    html = client.get("/about/").content.decode()
    coverage = html[html.index("data-coverage") : html.index('id="terms"')]
    assert re.search(rf"data-count>{published.count()}<", coverage)
    assert f"data-first>{span['first'].isoformat()}<" in coverage
    assert f"data-last>{span['last'].isoformat()}<" in coverage
    for governorate in {i.governorate for i in published if i.governorate}:
        count = published.filter(governorate=governorate).count()
        assert f"{governorate.name}</bdi>: {count}" in coverage
    # Every event type the filters offer, with its count of published incidents.
    for code, label in vocabulary.EVENT_TYPES.items():
        count = published.filter(event_type=code).count()
        assert f'data-code="{code}">{label}: {count}<' in coverage


@pytest.mark.parametrize(
    ("labels", "choices", "marker"),
    [
        (vocabulary.EVENT_TYPES, EventType, "data-event-types"),
        (vocabulary.GRADES, Grade, "data-grades"),
        (vocabulary.DATE_PRECISIONS, DatePrecision, "data-date-precisions"),
        (vocabulary.LOCATION_PRECISIONS, LocationPrecision, "data-location-precisions"),
        (vocabulary.CONFIDENCES, Confidence, "data-confidences"),
        (vocabulary.FIGURE_RULES, FigureRule, "data-figure-rules"),
    ],
)
def test_about_page_lists_every_value_of_each_vocabulary(client, seeded, labels, choices, marker):
    html = client.get("/about/").content.decode()
    section = html[html.index(marker) :]
    section = section[: section.index("</dl>") if "</dl>" in section[:5000] else 5000]
    for value in choices.values:
        assert f'data-code="{value}">{labels[value]}' in section, value


def test_a_new_grade_appears_on_the_about_page_without_editing_it(client, seeded, monkeypatch):
    # As if a value were added to the vocabulary the filters show.
    monkeypatch.setitem(vocabulary.GRADES, "provisional", "Provisional")
    monkeypatch.setitem(vocabulary.GRADE_MEANINGS, "provisional", "Awaiting a second source.")
    html = client.get("/about/").content.decode()
    assert 'data-code="provisional">Provisional</dt><dd>Awaiting a second source.' in html
    assert '<label><input type="checkbox" name="grade" value="provisional">' in (
        client.get("/").content.decode()
    )


def test_every_grade_precision_and_confidence_has_a_meaning():
    for meanings, choices in (
        (vocabulary.GRADE_MEANINGS, Grade),
        (vocabulary.DATE_PRECISION_MEANINGS, DatePrecision),
        (vocabulary.LOCATION_PRECISION_MEANINGS, LocationPrecision),
        (vocabulary.CONFIDENCE_MEANINGS, Confidence),
    ):
        assert set(meanings) == set(choices.values)


def test_the_worked_examples_are_the_reconciled_figures_of_the_seed(client, seeded):
    episode = about.episode_example()
    assert episode is not None
    # SNHR's "at least 125" against other estimates' "at least 134" (and "about 125").
    assert [c.figure for c in episode.claims] == ["at least 125", "at least 134", "about 125"]
    assert (episode.result.low, episode.result.best, episode.result.high) == (125, 125, None)
    assert episode.result.high_open
    summary = selectors.episode_summary(
        episode=selectors.episode_get(slug="march-2025-coastal-violence", user=None), user=None
    )
    measure = next(m for m in summary.measures if m.measure in episode.title)
    assert measure.reconciled == episode.result  # the episode page's own figures

    incident = about.incident_example()
    assert incident is not None
    record = Incident.objects.get(title=incident.title)
    assert (incident.result.low, incident.result.best, incident.result.high) == (
        record.killed_low,
        record.killed_best,
        record.killed_high,
    )
    assert incident.result.high_open == record.killed_high_open

    html = client.get("/about/").content.decode()
    first = html[html.index('data-example="1"') : html.index('data-example="2"')]
    assert "at least 134" in first and 'data-low="125"' in first and 'data-best="125"' in first
    assert "data-high-open" in first and "125 or more" in first
    second = html[html.index('data-example="2"') :]
    assert f'data-low="{record.killed_low}"' in second
    assert f'href="/incidents/{record.public_id}/"' in second


def test_the_examples_follow_the_claims(client, seeded):
    """Typed numbers would not move: the example changes with the published claims."""
    record = Incident.objects.get(title=about.incident_example().title)
    claim = record.claims.filter(killed_min__isnull=False).order_by("id").first()
    claim.killed_min, claim.killed_max, claim.figure_kind, claim.approximate = 7, 7, "exact", False
    claim.save()
    example = about.incident_example()
    assert example.title == record.title
    assert example.result.low == 7


def test_contact_address_comes_from_the_settings(client, seeded, settings):
    settings.CONTACT_EMAIL = ""
    assert "mailto:" not in client.get("/about/").content.decode()
    settings.CONTACT_EMAIL = "corrections@example.org"
    html = Client().get("/about/?v=2").content.decode()
    assert 'href="mailto:corrections@example.org"' in html


def test_about_page_in_arabic_is_right_to_left_and_translated(seeded):
    html = arabic().get("/about/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "عن البيانات" in html
    grades = html.split("data-grades")[1][:300]
    assert "Confirmed" not in grades and "مؤكدة" in grades


def test_header_navigation_links_the_about_page(client, seeded):
    html = client.get("/about/").content.decode()
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert re.search(r'aria-label="[^"]+"', nav)
    assert '<li><a href="/about/" aria-current="page">' in nav
    assert '<li><a href="/">' in nav
    home = client.get("/").content.decode()
    assert "data-map-intro" in home and 'href="/about/"' in home
    # "Killed: low–best–high" is explained beside the totals that show it.
    assert "data-range-legend" in home and 'href="/about/#figures"' in home


# --- the codebook ---------------------------------------------------------------------------


def test_codebook_describes_every_csv_column_and_nothing_else():
    described = {c.name for c in codebook.columns() if c.in_csv}
    assert described == set(CSV_COLUMNS)
    assert [c.name for c in codebook.columns() if c.in_csv] == list(CSV_COLUMNS)
    assert all(c.description for c in codebook.columns())


def test_codebook_describes_every_geojson_member_and_nothing_else(client, seeded):
    collection = json.loads(text_of(client.get(f"{API}/incidents.geojson")))
    members = {"catalogue"} | {
        key for feature in collection["features"] for key in ("id", "geometry")
    }
    for feature in collection["features"]:
        members |= set(feature["properties"])
    described = {c.name for c in codebook.columns() if c.in_geojson}
    assert described == members


def test_codebook_page_and_csv(client, seeded):
    html = client.get("/about/codebook/").content.decode()
    for name in CSV_COLUMNS:
        assert f'data-column="{name}"' in html
    for code, label in vocabulary.EVENT_TYPES.items():
        assert f"<code>{code}</code>: {label}" in html
    response = client.get("/about/codebook.csv")
    assert response["Content-Disposition"] == 'attachment; filename="codebook.csv"'
    rows = csv_of(response)
    assert [row["column"] for row in rows] == [c.name for c in codebook.columns()]
    assert {row["column"] for row in rows if row["in_csv"] == "true"} == set(CSV_COLUMNS)
    event_type = next(row for row in rows if row["column"] == "event_type")
    assert "summary_execution = Summary execution" in event_type["values"]
    arabic_rows = csv_of(arabic().get("/about/codebook.csv"))
    assert all(not row["description"].isascii() for row in arabic_rows)


# --- readable downloads ---------------------------------------------------------------------


def test_csv_keeps_its_columns_and_appends_readable_ones(client, seeded):
    assert CSV_COLUMNS[: len(EARLIER_CSV_COLUMNS)] == tuple(EARLIER_CSV_COLUMNS)
    rows = {row["id"]: row for row in csv_of(client.get(f"{API}/incidents.csv"))}
    row = rows["SY-2025-0005"]  # al-Mukhtariya
    incident = Incident.objects.get(public_id="SY-2025-0005")
    assert row["event_type_label"] == "Summary execution"
    assert row["governorate_name"] == incident.governorate.name
    attribution = incident.attributions.get()
    assert row["perpetrator_names"] == f"{attribution.actor.name} ({attribution.confidence})"
    assert row["source_names"] == "Al-Araby Al-Jadeed; The Guardian"
    assert row["incident_url"] == "http://testserver/incidents/SY-2025-0005/"
    # A source without a publisher is named by its headline.
    assert "Untitled article: toll surpasses 1,000" in rows["SY-2025-0002"]["source_names"]


def test_csv_labels_follow_the_readers_language(seeded):
    rows = {row["id"]: row for row in csv_of(arabic().get(f"{API}/incidents.csv"))}
    row = rows["SY-2025-0005"]
    incident = Incident.objects.get(public_id="SY-2025-0005")
    assert row["event_type"] == "summary_execution"  # codes stay codes
    assert row["governorate_name"] == incident.governorate.name_ar
    assert not row["event_type_label"].isascii()
    assert not row["perpetrator_names"].isascii()


@pytest.mark.parametrize(
    ("query", "filename"),
    [
        (
            "governorate=latakia-governorate&date_from=2025-03-07&date_to=2025-03-09",
            "incidents-latakia-2025-03-07_2025-03-09.csv",
        ),
        (
            "event_type=summary_execution,massacre&date_from=2025-03-07",
            "incidents-summary-execution-massacre-from-2025-03-07.csv",
        ),
        ("status=published&date_to=2025-03-09", "incidents-to-2025-03-09.csv"),
    ],
)
def test_csv_file_is_named_after_the_view_and_its_dates(client, seeded, query, filename):
    response = client.get(f"{API}/incidents.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_download_without_dates_is_named_after_the_day(client, seeded):
    response = client.get(f"{API}/incidents.geojson?governorate=hama-governorate")
    assert re.fullmatch(
        r'inline; filename="incidents-hama-as-of-\d{4}-\d{2}-\d{2}\.geojson"',
        response["Content-Disposition"],
    )
    # The ACLED-style file keeps its fixed name, which tools comparing with ACLED expect.
    acled = client.get(f"{API}/incidents.acled.csv?date_from=2025-03-06&date_to=2025-03-06")
    assert 'filename="incidents.acled.csv"' in acled["Content-Disposition"]


# --- the API's pages ------------------------------------------------------------------------


def test_browsable_api_indents_the_json(client, seeded):
    html = client.get(f"{API}/incidents/?format=api", HTTP_ACCEPT="text/html").content.decode()
    assert "\n  &quot;results&quot;: [\n    {\n      &quot;id&quot;" in html.replace(
        '<span class="str">', ""
    ) or re.search(r"\n  (&quot;|\")results(&quot;|\"): \[\n    \{", html)
    assert 'style="' not in html
    assert 'href="/"' in html  # back to the site
    # JSON clients still get it compact.
    assert b"\n" not in client.get(f"{API}/incidents/", HTTP_ACCEPT="application/json").content


def test_anonymous_reads_carry_no_security_requirement(client):
    schema = client.get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "get":
                assert "security" not in operation, path
            else:
                assert operation["security"], (method, path)
