"""Public pages show published incidents only, and never a confidential source."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils.html import escape

from incidents import services
from incidents.models import Episode, EpisodeClaim, Incident, Source, SourceKind, Status
from tests.conftest import incident_fields


def _map_config(page: str) -> dict:
    match = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', page)
    assert match, "the map page passes its configuration with json_script"
    return json.loads(match.group(1))


def test_home_is_the_map_and_it_asks_for_exactly_the_published_incidents(client, seeded, superuser):
    # The map page holds no record itself: its script reads the API with the URL and the
    # parameters below. Even a signed-in researcher's map shows published records only.
    client.force_login(superuser)
    page = client.get(reverse("incidents:home")).content.decode()
    assert 'id="map"' in page and "SY-2025-0011" not in page
    config = _map_config(page)
    assert config["center"] == [35.2, 36.0] and config["tiles"][0]["attribution"]
    response = client.get(config["api"]["map"], {"zoom": 6, "status": "published"})
    shown = {incident["id"] for incident in response.json()["incidents"]}
    published = set(
        Incident.objects.filter(status=Status.PUBLISHED, latitude__isnull=False).values_list(
            "public_id", flat=True
        )
    )
    assert shown == published and "SY-2025-0011" not in shown
    assert 'params.set("status", "published")' in _static("mapping/map.js")


def _static(path: str) -> str:
    with open(finders.find(path), encoding="utf-8") as handle:
        return handle.read()


def test_map_filters_offer_the_vocabularies_and_perpetrators_of_published_work(client, seeded):
    page = client.get(reverse("incidents:home")).content.decode()
    for name in ["date_from", "date_to", "event_type", "perpetrator", "governorate"]:
        assert f'name="{name}"' in page
    for name in ["killed_min", "grade", "q"]:
        assert f'name="{name}"' in page
    assert 'value="syrian-government-forces"' in page
    assert 'value="latakia-governorate"' in page
    assert reverse("api:incident-csv") in page and reverse("api:incident-geojson") in page
    assert reverse("api:docs") in page


def test_a_draft_page_is_not_found_even_for_staff(client, superuser, seeded):
    draft = Incident.objects.get(public_id="SY-2025-0011")
    assert (
        client.get(reverse("incidents:incident-detail", args=[draft.public_id])).status_code == 404
    )
    client.force_login(superuser)
    assert (
        client.get(reverse("incidents:incident-detail", args=[draft.public_id])).status_code == 404
    )


def test_incident_page_lists_claims_with_quotes_and_hides_confidential_sources(
    client, seeded, reviewer
):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    secret = Source.objects.create(
        slug="witness",
        headline="Interview with a survivor",
        publisher="Field team",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    services.claim_add(
        incident=incident,
        user=reviewer,
        source=secret,
        killed_min=35,
        killed_max=35,
        quote="We counted 35 bodies.",
    )
    page = client.get(
        reverse("incidents:incident-detail", args=[incident.public_id])
    ).content.decode()
    assert "executed en masse" in page and "about 40 civilians were executed" in page
    assert "Interview with a survivor" not in page and "35 bodies" not in page
    # Public figures come from public claims only ("at least 40": no upper bound)...
    assert "low 40, best 40, no upper bound: 40 or more" in page and "confidential" not in page
    # ...unless a reviewer has the range count the confidential ones: the page says so.
    incident.refresh_from_db()
    services.incident_set_figures_scope(
        incident=incident, user=reviewer, expected_version=None, include_confidential=True
    )
    page = client.get(
        reverse("incidents:incident-detail", args=[incident.public_id])
    ).content.decode()
    # the figure counts; its source stays private
    assert "low 35, best 40, no upper bound: 35 or more" in page
    assert "1 claim of a confidential source" in page
    assert "Interview with a survivor" not in page and "35 bodies" not in page


def test_database_text_is_escaped(client, seeded, reviewer, source):
    hostile = services.incident_create(
        user=None,
        title="<img src=x onerror=alert(1)>",
        event_type="other",
        date_start=Incident.objects.first().date_start,
        date_end=Incident.objects.first().date_start,
        latitude=35.0,
        longitude=36.0,
        episode=Episode.objects.get(slug="march-2025-coastal-violence"),
        claims=[{"source": source, "quote": "<script>alert(2)</script>", "killed_min": 1}],
    )
    services.incident_publish(incident=hostile, user=reviewer)
    for url in [
        reverse("incidents:incident-detail", args=[hostile.public_id]),
        reverse("incidents:episode-detail", args=["march-2025-coastal-violence"]),
    ]:
        page = client.get(url).content.decode()
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_incident_page_shows_every_public_field(client, seeded):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    page = client.get(reverse("incidents:incident-detail", args=[incident.public_id]))
    text = page.content.decode()
    for expected in [
        incident.public_id,
        incident.title,
        incident.title_ar,
        incident.summary,
        incident.place_name,
        "Summary execution",
        "2025-03-07",
        "exact day",
        "subdistrict",
        "Latakia",
        "Range of all claims",
        "Syrian transitional government forces (alleged)",
        "Fair",
        "March 2025 coastal violence",
        reverse("incidents:episode-detail", args=[incident.episode.slug]),
        "Last updated",
        "Cite this",
        f"http://testserver/incidents/{incident.public_id}/",
        incident.location_note,
    ]:
        assert escape(expected) in text, expected
    for claim in incident.claims.all():
        assert escape(claim.quote) in text
        assert escape(claim.source.headline) in text
    assert 'id="incident-point" type="application/json"' in text


def test_episode_page_shows_incidents_and_monitor_totals_side_by_side(client, seeded):
    page = client.get(
        reverse("incidents:episode-detail", args=["march-2025-coastal-violence"])
    ).content.decode()
    for incident in Incident.objects.filter(episode__slug="march-2025-coastal-violence"):
        assert (incident.public_id in page) == (incident.status == Status.PUBLISHED)
    assert "data-incident-sum" in page and "data-reported-aggregates" in page
    claim = EpisodeClaim.objects.filter(source__confidential=False).first()
    assert claim.measure in page
    assert "never added together" in page
    assert client.get(
        reverse("incidents:episode-detail", args=["no-such-episode"])
    ).status_code == (404)


def test_arabic_pages_are_right_to_left_with_arabic_titles(client, seeded):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    home = client.get(reverse("incidents:home"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in home
    assert "عوامل التصفية" in home  # "Filters"
    config = _map_config(home)
    assert config["language"] == "ar"
    assert config["strings"]["openRecord"] == "فتح السجل الكامل"
    assert config["labels"]["event_type"]["massacre"] == "مجزرة"
    assert config["actors"]["syrian-government-forces"] == "قوات الحكومة السورية الانتقالية"
    page = client.get(
        reverse("incidents:incident-detail", args=[incident.public_id]), HTTP_ACCEPT_LANGUAGE="ar"
    ).content.decode()
    assert f"<h1>{incident.title_ar}</h1>" in page
    assert "ما تقوله المصادر" in page  # "What the sources say"
    assert "محافظة اللاذقية" in page  # the governorate's Arabic name


def test_language_switch_sets_the_language_and_returns_to_the_page(client, seeded):
    page = client.get(reverse("incidents:home")).content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="language" value="ar"' in page
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/?grade=fair"})
    assert response.status_code == 302 and response["Location"] == "/?grade=fair"
    assert 'dir="rtl"' in client.get("/").content.decode()


def test_public_pages_send_a_strict_content_security_policy(client, seeded):
    for url in [
        reverse("incidents:home"),
        reverse("incidents:incident-detail", args=["SY-2025-0005"]),
        reverse("incidents:episode-detail", args=["march-2025-coastal-violence"]),
    ]:
        response = client.get(url)
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'"
        assert "unsafe-inline" not in policy["style-src"]
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert response["X-Frame-Options"] == "DENY"
        # No inline script: every script element loads a file or carries JSON data.
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag or 'type="application/json"' in tag, tag


def test_api_docs_run_their_one_inline_script_with_the_policy_nonce(client):
    response = client.get(reverse("api:docs"))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline == [f' nonce="{nonce}"']
    redoc = client.get(reverse("api:redoc"))
    assert redoc.status_code == 200
    assert (
        "'unsafe-inline'"
        not in redoc["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert "fonts.googleapis.com" not in redoc.content.decode()


def test_every_page_has_an_icon_and_favicon_ico_is_not_a_404(client, seeded) -> None:
    """Browsers asked for /favicon.ico on every page load and logged a 404."""
    home = client.get("/")
    assert b'rel="icon"' in home.content
    answer = client.get("/favicon.ico")
    assert answer.status_code == 302
    assert answer["Location"].endswith("img/favicon.svg")
    assert finders.find("img/favicon.svg")


def _perpetrator_choices(client, address: str) -> set[str]:
    page = client.get(address).content.decode()
    return set(re.findall(r'name="perpetrator" value="([^"]+)"', page))


@pytest.mark.parametrize("address", ["/", "/embed/", "/dashboard/"])
def test_filter_choices_are_kept_and_follow_each_publication_and_retraction(
    client, seeded, reviewer, source, address, django_assert_num_queries
):
    # The perpetrators, episodes and governorates the filters offer are kept per
    # publication generation: a view of the map page (at an address with a query string,
    # so rendered afresh rather than served kept whole) costs no query once they are kept.
    client.get(f"{address}?view=1")
    with django_assert_num_queries(0):
        page = client.get(f"{address}?view=2").content.decode()
    assert 'value="latakia-governorate"' in page
    assert "syrian-government-forces" in _perpetrator_choices(client, f"{address}?view=2")

    # An actor named by a draft only is no choice; publishing the draft makes it one, and
    # retracting it (the actor's only published incident) takes it away again, at once.
    actor = services.actor_create(user=None, slug="newly-named-brigade", name="Newly named")
    draft = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 4, "quote": "Four were killed."}],
        attributions=[{"actor": actor, "confidence": "alleged"}],
        **incident_fields(title="A newly attributed shelling"),
    )
    assert "newly-named-brigade" not in _perpetrator_choices(client, f"{address}?view=3")
    services.incident_publish(incident=draft, user=reviewer)
    assert "newly-named-brigade" in _perpetrator_choices(client, f"{address}?view=4")
    assert "newly-named-brigade" in _perpetrator_choices(client, address)
    services.incident_retract(incident=draft, user=reviewer, reason="Not verified.")
    assert "newly-named-brigade" not in _perpetrator_choices(client, f"{address}?view=5")
    assert "newly-named-brigade" not in _perpetrator_choices(client, address)
