"""The dashboard's figures (/api/v1/dashboard/), its CSV files and its page: the same filters
and the same totals as the map and the statistics, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from django.test import Client

from incidents import services
from incidents.dashboard import CHARTS
from incidents.models import Attribution, Incident, Status

API = "/api/v1"
FIGURES = ("incidents", "killed_low", "killed_best", "killed_high", "killed_high_open")
WHOLE_WORLD = "-180,-90,180,90"

FILTERS = [
    "",
    "governorate=latakia-governorate",
    "date_from=2025-03-07&date_to=2025-03-08",
    "event_type=summary_execution,ambush",
    "perpetrator=syrian-government-forces",
    "grade=fair,confirmed",
    "q=Baniyas",
    "killed_min=10&governorate=latakia-governorate,tartus-governorate",
]


def _get(client: Client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("filters", FILTERS)
def test_dashboard_totals_are_the_maps_and_the_statistics(client, seeded, filters):
    query = f"status=published&{filters}" if filters else "status=published"
    dashboard = _get(client, f"{API}/dashboard/?{query}")
    statistics = _get(client, f"{API}/statistics/?{query}")
    # The map as its page asks: the whole country's view at a zoom where it lists points,
    # and for the unfiltered view the kept per-cell sums (PublishedMapCell).
    on_map = _get(client, f"{API}/map/?zoom=12&bbox={WHOLE_WORLD}&{query}")
    map_summary = _get(client, f"{API}/map/?zoom=5&{query}")
    totals = dashboard["totals"]
    assert totals == statistics["totals"]
    assert totals == on_map["totals"] == map_summary["totals"]
    assert totals["incidents"] > 0 or filters  # the seed has something in every view
    # Every chart adds up to the totals (perpetrators excepted: one count per attribution).
    for name in FIGURES:
        assert sum(dashboard["killed_by_month"][name]) == totals[name]
        for chart in ("event_types", "governorates"):
            assert sum(s["totals"][name] for s in dashboard[chart]) == totals[name]
    for chart in ("event_types", "governorates"):
        assert sum(sum(s["incidents"]) for s in dashboard[chart]) == totals["incidents"]
        for series in dashboard[chart]:
            assert sum(series["incidents"]) == series["totals"]["incidents"]
    assert dashboard["killed_by_month"]["incidents"] == [
        sum(s["incidents"][i] for s in dashboard["event_types"])
        for i in range(len(dashboard["months"]))
    ]


def test_the_seed_dashboard_in_numbers(client, seeded):
    data = _get(client, f"{API}/dashboard/?status=published")
    published = Incident.objects.filter(status=Status.PUBLISHED)
    assert data["months"] == ["2025-01", "2025-02", "2025-03"]  # a month without any is 0
    assert data["killed_by_month"]["incidents"][1] == 0
    # Three incidents have no upper bound ("at least 40"): counted, never given a ceiling.
    assert data["totals"]["killed_high_open"] == published.filter(killed_high_open=True).count()
    assert data["totals"]["killed_high_open"] == 3
    assert data["killed_by_month"]["killed_high_open"] == [0, 0, 3]
    assert data["totals"]["killed_high"] == sum(
        (i.killed_high if i.killed_high is not None else i.killed_best or 0) for i in published
    )
    # Perpetrators: one count per attribution of a published incident, by confidence.
    attributions = Counter(
        Attribution.objects.filter(incident__status=Status.PUBLISHED).values_list(
            "actor__slug", "confidence"
        )
    )
    found = Counter()
    for series in data["perpetrators"]:
        assert sum(series["incidents"]) == series["totals"]["incidents"]
        assert sum(series["confidence_totals"].values()) == series["totals"]["incidents"]
        for confidence, per_month in series["by_confidence"].items():
            if sum(per_month):
                found[(series["key"], confidence)] = sum(per_month)
    assert found == attributions
    # The top places: most killed first, each place's incidents.
    places = data["top_places"]
    assert [p["totals"]["killed_best"] for p in places] == sorted(
        (p["totals"]["killed_best"] for p in places), reverse=True
    )
    jablah = next(p for p in places if p["key"] == "jablah")
    assert jablah["totals"]["incidents"] == published.filter(place__slug="jablah").count()
    assert jablah["name_ar"] == "جبلة"


def test_drafts_stay_out_of_the_public_dashboard(client, seeded):
    everything = _get(client, f"{API}/dashboard/")
    assert (
        everything["totals"]["incidents"]
        == Incident.objects.filter(status=Status.PUBLISHED).count()
    )
    assert Incident.objects.exclude(status=Status.PUBLISHED).exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=2025", "year"),
        ("date_from=March", "date_from"),
        ("governorate=atlantis", "governorate"),
        ("event_type=picnic", "event_type"),
        ("date_from=2025-03-09&date_to=2025-03-01", "date_to"),
        ("perpetrator=", "perpetrator"),
    ],
)
def test_bad_filters_are_400_naming_them_for_the_data_and_every_csv(client, seeded, query, field):
    for url in [f"{API}/dashboard/", *(f"{API}/dashboard/{chart}.csv" for chart in CHARTS)]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, url
        assert field in response.json()


def test_an_unknown_chart_is_404_naming_the_charts(client, seeded):
    response = client.get(f"{API}/dashboard/pie.csv")
    assert response.status_code == 404
    assert "killed-by-month" in response.json()["detail"]


def _csv(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_chart_is_a_csv_of_the_same_numbers(client, seeded):
    query = "status=published&governorate=latakia-governorate,hama-governorate"
    data = _get(client, f"{API}/dashboard/?{query}")
    months = data["months"]

    killed = _csv(client, f"{API}/dashboard/killed-by-month.csv?{query}")
    by_month = data["killed_by_month"]
    assert [row["month"] for row in killed] == [
        m for i, m in enumerate(months) if by_month["incidents"][i]
    ]
    for row in killed:
        i = months.index(row["month"])
        assert {name: int(row[name]) for name in FIGURES} == {
            name: by_month[name][i] for name in FIGURES
        }

    types = _csv(client, f"{API}/dashboard/event-types.csv?{query}")
    assert sum(int(row["incidents"]) for row in types) == data["totals"]["incidents"]
    execution = next(row for row in types if row["event_type"] == "summary_execution")
    assert execution["event_type_label"] == "Summary execution"

    governorates = _csv(client, f"{API}/dashboard/governorates.csv?{query}")
    assert {row["governorate"] for row in governorates} == {
        "latakia-governorate",
        "hama-governorate",
    }
    assert sum(int(row["incidents"]) for row in governorates) == data["totals"]["incidents"]

    perpetrators = _csv(client, f"{API}/dashboard/perpetrators.csv?{query}")
    assert sum(int(row["incidents"]) for row in perpetrators) == sum(
        s["totals"]["incidents"] for s in data["perpetrators"]
    )
    assert {row["confidence"] for row in perpetrators} <= {"confirmed", "probable", "alleged"}

    places = _csv(client, f"{API}/dashboard/places.csv?{query}")
    assert [row["place"] for row in places] == [p["key"] for p in data["top_places"]]
    assert [int(row["killed_best"]) for row in places] == [
        p["totals"]["killed_best"] for p in data["top_places"]
    ]


def test_csv_labels_follow_the_readers_language(client, seeded):
    client.cookies["django_language"] = "ar"
    rows = _csv(client, f"{API}/dashboard/event-types.csv?status=published")
    execution = next(row for row in rows if row["event_type"] == "summary_execution")
    assert execution["event_type_label"] != "Summary execution"
    assert any("\u0600" <= ch <= "\u06ff" for ch in execution["event_type_label"])


def test_the_dashboard_reads_in_constant_queries_and_warm_reads_are_kept(
    client, seeded, reviewer, django_assert_max_num_queries, django_assert_num_queries
):
    url = f"{API}/dashboard/?status=published&governorate=latakia-governorate"
    # The filters' checks, the two counting statements, the names; on PostgreSQL also the
    # two settings of the counting transaction and its savepoint.
    with django_assert_max_num_queries(12) as cold:
        client.get(url)
    # Kept per publication generation: the next anonymous reader, for the data and for
    # every chart's CSV, is answered from the shared cache without a query.
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
        assert client.get(url.replace("/?", "/places.csv?")).status_code == 200
    # A retraction moves the generation on: the next read counts afresh, in as many
    # queries whatever the number of incidents.
    incident = Incident.objects.get(public_id="SY-2025-0001")
    services.incident_retract(incident=incident, user=reviewer, reason="Test retraction.")
    before = len(cold.captured_queries)
    with django_assert_max_num_queries(before) as again:
        fresh = client.get(f"{API}/dashboard/?status=published").json()
    assert len(again.captured_queries) <= before
    assert fresh["totals"]["incidents"] == Incident.objects.filter(status=Status.PUBLISHED).count()


def test_the_page_links_its_api_and_is_in_the_header(client, seeded):
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/dashboard/"' in client.get("/").content.decode()
    assert 'aria-current="page"' in html
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
        assert f"/api/v1/dashboard/{chart}.csv?status=published" in html
    assert "<script>" not in html and 'style="' not in html
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar").get("/dashboard/").content.decode()
    assert 'dir="rtl"' in arabic and "لوحة" in arabic


def test_a_view_without_incidents_is_empty_not_an_error(client, seeded):
    data = _get(
        client, f"{API}/dashboard/?status=published&date_from=2011-01-01&date_to=2011-01-02"
    )
    assert data["totals"] == dict.fromkeys(FIGURES, 0)
    assert data["months"] == []
    assert data["event_types"] == data["governorates"] == data["perpetrators"] == []
    assert data["top_places"] == []
    rows = _csv(
        client, f"{API}/dashboard/killed-by-month.csv?date_from=2011-01-01&date_to=2011-01-02"
    )
    assert rows == []


def test_the_schema_documents_the_dashboard_and_its_csv_files(client):
    paths = client.get(f"{API}/schema/?format=json").json()["paths"]
    data = paths["/api/v1/dashboard/"]["get"]
    assert {"date_from", "governorate", "perpetrator", "event_type"} <= {
        p["name"] for p in data["parameters"]
    }
    assert "400" in data["responses"]
    csv_file = paths["/api/v1/dashboard/{chart}.csv"]["get"]
    chart = next(p for p in csv_file["parameters"] if p["name"] == "chart")
    assert sorted(chart["schema"]["enum"]) == sorted(CHARTS)
    assert "text/csv" in csv_file["responses"]["200"]["content"]
