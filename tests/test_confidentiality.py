"""Confidential sources never leave the admin, and what the public sees changes only through
a reviewer: catalogue records, the confidential mark, public figures, side doors (actors,
episode aggregates, filters), and a sweep of every public read for a confidential marker."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import (
    Actor,
    Claim,
    Episode,
    EpisodeClaim,
    Incident,
    PublishedMapCell,
    Source,
    SourceKind,
    VictimGroup,
)
from mapping.models import Place, PlaceKind, PlaceOrigin

from .conftest import incident_fields

API = "/api/v1"
MARKER = "confmark"


def _read(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


@pytest.fixture
def world(db, source, reviewer):
    """A published incident citing a public source (8 killed) and a confidential one (80,
    naming an actor nothing else names), a draft citing only confidential or draft-only
    records, and an episode with a confidential aggregate figure."""
    secret = services.source_create(
        user=None,
        slug="confmark-source",
        publisher="CONFMARK Publisher",
        headline="CONFMARK headline",
        url="https://confmark.example.org/report",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    hidden_actor = services.actor_create(
        user=None, slug="confmark-brigade", name="CONFMARK Brigade"
    )
    draft_actor = services.actor_create(user=None, slug="draft-only-actor", name="Draft actor")
    draft_source = services.source_create(
        user=None,
        slug="draft-only-source",
        publisher="Draft publisher",
        headline="Only a draft cites this",
        kind=SourceKind.NEWS_ARTICLE,
    )
    episode = services.episode_create(
        user=None,
        slug="coastal-violence",
        title="Coastal violence",
        date_start=dt.date(2025, 3, 6),
        date_end=dt.date(2025, 3, 10),
    )
    hidden_episode = services.episode_create(
        user=None,
        slug="draft-only-episode",
        title="Only a draft is in this",
        date_start=dt.date(2025, 3, 6),
        date_end=dt.date(2025, 3, 10),
    )
    services.episode_claim_add(
        episode=episode,
        user=None,
        source=secret,
        measure="CONFMARK measure",
        killed_min=999,
        quote="CONFMARK aggregate quote",
    )
    published = services.incident_create(
        user=None,
        claims=[
            {
                "source": source,
                "killed_min": 8,
                "killed_max": 8,
                "quote": "Eight people were killed.",
            },
            {
                "source": secret,
                "killed_min": 80,
                "killed_max": 80,
                "perpetrator": hidden_actor,
                "perpetrator_text": "CONFMARK fighters",
                "quote": "CONFMARK quote: eighty were killed.",
            },
        ],
        episode=episode,
        **incident_fields(title="Killings in a village"),
    )
    services.incident_publish(incident=published, user=reviewer)
    draft = services.incident_create(
        user=None,
        claims=[
            {"source": secret, "killed_min": 3, "quote": "CONFMARK draft quote."},
            {"source": draft_source, "killed_min": 3, "quote": "Three were killed."},
        ],
        attributions=[{"actor": draft_actor, "confidence": "alleged"}],
        episode=hidden_episode,
        **incident_fields(title="A draft"),
    )
    published.refresh_from_db()
    return {
        "secret": secret,
        "public_source": source,
        "hidden_actor": hidden_actor,
        "draft_actor": draft_actor,
        "draft_source": draft_source,
        "episode": episode,
        "hidden_episode": hidden_episode,
        "published": published,
        "draft": draft,
    }


# --- 1. catalogue records and the confidential mark go through a reviewer ----------------


def test_researcher_cannot_declassify_or_classify_a_source(world, researcher, reviewer, source):
    with pytest.raises(PermissionDenied, match="confidential"):
        services.source_update(source=world["secret"], user=researcher, confidential=False)
    assert Source.objects.get(pk=world["secret"].pk).confidential
    with pytest.raises(PermissionDenied, match="confidential"):
        services.source_update(source=world["draft_source"], user=researcher, confidential=True)
    assert not Source.objects.get(pk=world["draft_source"].pk).confidential
    # A reviewer may; the figures of the incidents citing it follow (public claims only).
    services.source_update(source=source, user=reviewer, confidential=True)
    published = Incident.objects.get(pk=world["published"].pk)
    assert (published.killed_low, published.killed_best, published.killed_high) == (
        None,
        None,
        None,
    )
    services.source_update(source=world["secret"], user=reviewer, confidential=False)
    published.refresh_from_db()
    assert (published.killed_low, published.killed_high) == (80, 80)


def test_researcher_edits_records_until_published_work_cites_them(world, researcher, reviewer):
    # Cited by drafts only: a researcher may still edit them.
    services.actor_update(actor=world["draft_actor"], user=researcher, name="Draft actor (2)")
    services.source_update(source=world["draft_source"], user=researcher, headline="Renamed")
    services.episode_update(episode=world["hidden_episode"], user=researcher, title="Renamed")
    # Shown by published work: only a reviewer.
    public = world["public_source"]
    with pytest.raises(PermissionDenied, match=world["published"].public_id):
        services.source_update(source=public, user=researcher, publisher="Someone else")
    with pytest.raises(PermissionDenied, match="reviewer"):
        services.episode_update(episode=world["episode"], user=researcher, title="Renamed")
    services.source_update(source=public, user=reviewer, publisher="Someone else")
    assert Source.objects.get(pk=public.pk).publisher == "Someone else"
    # Publishing the draft makes its records public: the researcher's edits stop there.
    draft = world["draft"]
    services.incident_publish(incident=draft, user=reviewer)
    with pytest.raises(PermissionDenied):
        services.actor_update(actor=world["draft_actor"], user=researcher, name="Changed")
    assert Actor.objects.get(pk=world["draft_actor"].pk).name == "Draft actor (2)"


def test_researcher_cannot_rename_places_or_victim_groups_published_work_shows(
    world, researcher, reviewer
):
    place = Place.objects.create(
        slug="a-village",
        name="A village",
        kind=PlaceKind.VILLAGE,
        latitude=35.36,
        longitude=35.93,
        origin=PlaceOrigin.CURATED,
        origin_note="Test entry.",
    )
    group = services.victim_group_create(user=None, slug="farmers", name="Farmers")
    published = world["published"]
    services.incident_update(
        incident=published, user=reviewer, expected_version=published.version, place=place
    )
    services.incident_set_victim_groups(incident=published, user=reviewer, victim_groups=[group])
    with pytest.raises(PermissionDenied):
        services.place_update(place=place, user=researcher, name="Another name")
    with pytest.raises(PermissionDenied):
        services.victim_group_update(group=group, user=researcher, name="Other")
    services.victim_group_update(group=group, user=reviewer, name="Other")
    assert VictimGroup.objects.get(pk=group.pk).name == "Other"


def test_researcher_cannot_add_a_public_aggregate_figure(world, researcher, reviewer, source):
    with pytest.raises(PermissionDenied, match="source"):
        services.episode_claim_add(
            episode=world["hidden_episode"],
            user=researcher,
            source=source,
            measure="Killed",
            killed_min=5,
            quote="Five were killed.",
        )
    # A confidential figure on an episode the public does not see shows the public nothing.
    services.episode_claim_add(
        episode=world["hidden_episode"],
        user=researcher,
        source=world["secret"],
        measure="Killed",
        killed_min=5,
        quote="Five were killed.",
    )


def test_removing_a_public_aggregate_figure_takes_a_reviewer(world, researcher, reviewer, source):
    claim = services.episode_claim_add(
        episode=world["hidden_episode"],
        user=reviewer,
        source=source,
        measure="Killed",
        killed_min=5,
        quote="Five were killed.",
    )
    with pytest.raises(PermissionDenied):
        services.episode_claim_remove(claim=claim, user=researcher)
    pk = claim.pk
    services.episode_claim_remove(claim=claim, user=reviewer)
    assert not type(claim).objects.filter(pk=pk).exists()
    removal = type(claim).history.filter(id=pk).latest()
    assert removal.history_type == "-" and removal.history_user == reviewer


def _source_form(source: Source, **overrides) -> dict:
    data = {
        "slug": source.slug,
        "publisher": source.publisher,
        "headline": source.headline,
        "author": source.author,
        "url": source.url,
        "publication_date": "",
        "language": source.language,
        "kind": source.kind,
        "archive_url": "",
        "content_hash": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_admin_researcher_sees_the_confidential_mark_read_only(world, client, researcher):
    # Cited by a draft only, so the researcher may edit the rest of it.
    secret = services.source_create(
        user=None,
        slug="a-witness",
        headline="A witness's account",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    services.claim_add(
        incident=world["draft"], user=None, source=secret, quote="They came at night."
    )
    client.force_login(researcher)
    url = f"/admin/incidents/source/{secret.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="confidential"' not in page.content.decode()
    assert "Only a reviewer may change: confidential" in page.content.decode()
    # Unticking is not possible: the form has no such field, the mark stays.
    response = client.post(url, _source_form(secret, notes="Checked."))
    assert response.status_code == 302
    secret.refresh_from_db()
    assert secret.confidential and secret.notes == "Checked."


def test_admin_source_published_work_cites_is_read_only_for_researchers(
    world, client, researcher, reviewer
):
    public = world["public_source"]
    url = f"/admin/incidents/source/{public.pk}/change/"
    client.force_login(researcher)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="publisher"' not in text
    assert world["published"].public_id in text  # says why
    response = client.post(url, _source_form(public, publisher="Someone else"))
    assert response.status_code == 403
    assert Source.objects.get(pk=public.pk).publisher == "A monitor"
    client.force_login(reviewer)
    response = client.post(
        url, {**_source_form(public, publisher="Someone else"), "confidential": ""}
    )
    assert response.status_code == 302
    assert Source.objects.get(pk=public.pk).publisher == "Someone else"


def test_admin_public_aggregate_figure_is_a_field_error_for_researchers(
    world, client, researcher, source
):
    episode = world["hidden_episode"]
    client.force_login(researcher)
    prefix = "claims"
    data = {
        "slug": episode.slug,
        "title": episode.title,
        "title_ar": "",
        "summary": "",
        "summary_ar": "",
        "date_start": "2025-03-06",
        "date_end": "2025-03-10",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-measure": "Killed",
        f"{prefix}-0-source": str(source.pk),
        f"{prefix}-0-attributed_to": "",
        f"{prefix}-0-quote": "Five were killed.",
        f"{prefix}-0-killed_min": "5",
        f"{prefix}-0-episode": str(episode.pk),
    }
    response = client.post(f"/admin/incidents/episode/{episode.pk}/change/", data)
    assert response.status_code == 200
    assert "only a reviewer may add an aggregate figure" in response.content.decode()
    assert not EpisodeClaim.objects.filter(episode=episode).exists()


# --- 2. side doors -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "researcher"])
def test_actor_known_only_from_a_confidential_claim_is_not_in_the_api(
    world, client, researcher, role
):
    if role == "researcher":
        client.force_login(researcher)
    listed = client.get(f"{API}/actors/?limit=500").json()
    slugs = {actor["slug"] for actor in listed["results"]}
    assert "confmark-brigade" not in slugs
    assert client.get(f"{API}/actors/confmark-brigade/").status_code == 404
    if role == "anonymous":
        assert "draft-only-actor" not in slugs
        assert client.get(f"{API}/actors/draft-only-actor/").status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "researcher"])
def test_confidential_episode_claims_never_reach_the_api(world, client, researcher, role):
    if role == "researcher":
        client.force_login(researcher)
    episode = client.get(f"{API}/episodes/coastal-violence/")
    assert episode.status_code == 200
    assert episode.json()["reported_aggregates"] == []
    statistics = client.get(f"{API}/statistics/").json()
    assert statistics["episodes"][0]["reported_aggregates"] == []
    assert MARKER not in episode.content.decode().lower()
    assert MARKER not in statistics.__repr__().lower()


def test_public_figures_come_from_public_claims_only(world, client):
    published = world["published"]
    assert (published.killed_low, published.killed_best, published.killed_high) == (8, 8, 8)
    document = client.get(f"{API}/incidents/{published.public_id}/").json()
    assert document["killed"]["high"] == 8
    assert document["killed"]["includes_confidential"] is False
    assert document["killed"]["confidential_claims"] is None
    assert client.get(f"{API}/statistics/").json()["totals"]["killed_high"] == 8
    assert client.get(f"{API}/map/?zoom=6").json()["totals"]["killed_high"] == 8
    assert sum(cell.killed_high for cell in PublishedMapCell.objects.all()) == 8
    rows = _read(client.get(f"{API}/incidents.csv"))
    assert ",80," not in rows
    page = client.get(f"/incidents/{published.public_id}/").content.decode()
    assert "high 8" in page and "confidential" not in page


def test_a_reviewer_may_have_the_range_count_confidential_claims(
    world, client, researcher, reviewer
):
    published = world["published"]
    with pytest.raises(PermissionDenied, match="figures_include_confidential"):
        services.incident_set_figures_scope(
            incident=published, user=researcher, expected_version=None, include_confidential=True
        )
    client.get(f"{API}/incidents/")  # keeps the document, which must then be outdated
    services.incident_set_figures_scope(
        incident=published,
        user=reviewer,
        expected_version=published.version,
        include_confidential=True,
        reason="The testimony is corroborated.",
    )
    published.refresh_from_db()
    assert (published.killed_low, published.killed_best, published.killed_high) == (8, 8, 80)
    listed = client.get(f"{API}/incidents/").json()["results"][0]["killed"]
    assert (listed["high"], listed["includes_confidential"], listed["confidential_claims"]) == (
        80,
        True,
        1,
    )
    assert client.get(f"{API}/map/?zoom=6").json()["totals"]["killed_high"] == 80
    page = client.get(f"/incidents/{published.public_id}/").content.decode()
    assert "1 claim of a confidential source" in page
    assert MARKER not in page.lower()


def test_researcher_cannot_tick_the_scope_in_the_admin(world, client, researcher, reviewer):
    draft = world["draft"]
    client.force_login(researcher)
    page = client.get(f"/admin/incidents/incident/{draft.pk}/change/").content.decode()
    assert 'name="figures_include_confidential"' not in page
    client.force_login(reviewer)
    page = client.get(f"/admin/incidents/incident/{draft.pk}/change/").content.decode()
    assert 'name="figures_include_confidential"' in page


def test_the_migration_recomputes_ranges_a_confidential_claim_moved(world):
    from incidents.reconciliation import recompute_public_figures

    published = world["published"]
    # The rows as the old rule left them: the confidential 80 counted.
    Incident.objects.filter(pk=published.pk).update(killed_low=8, killed_best=8, killed_high=80)
    PublishedMapCell.objects.update(killed_low=8, killed_best=8, killed_high=80)
    assert recompute_public_figures(django_apps) == 1
    published.refresh_from_db()
    assert published.killed_high == 8
    assert sum(cell.killed_high for cell in PublishedMapCell.objects.all()) == 8
    assert recompute_public_figures(django_apps) == 0


@pytest.mark.parametrize(
    ("parameter", "hidden"),
    [
        ("episode", "draft-only-episode"),
        ("perpetrator", "confmark-brigade"),
        ("perpetrator", "draft-only-actor"),
        ("source", "confmark-source"),
        ("source", "draft-only-source"),
    ],
)
def test_filters_on_hidden_slugs_answer_as_for_unknown_ones(world, client, parameter, hidden):
    unknown = client.get(f"{API}/incidents/?{parameter}=no-such-slug")
    assert unknown.status_code == 400
    response = client.get(f"{API}/incidents/?{parameter}={hidden}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    for path in ("/statistics/", "/map/?zoom=6&", "/incidents.csv"):
        joiner = "" if path.endswith("&") else "?"
        assert client.get(f"{API}{path}{joiner}{parameter}={hidden}").status_code == 400


def test_filters_still_take_visible_slugs(world, client, researcher):
    published = world["published"]
    for query in ("episode=coastal-violence", "source=monitor-report"):
        found = client.get(f"{API}/incidents/?{query}").json()["results"]
        assert [row["id"] for row in found] == [published.public_id]
    client.force_login(researcher)
    assert client.get(f"{API}/incidents/?source=confmark-source").status_code == 400
    found = client.get(f"{API}/incidents/?perpetrator=draft-only-actor").json()["results"]
    assert [row["id"] for row in found] == [world["draft"].public_id]


# --- the sweep ---------------------------------------------------------------------------


def _public_reads(world) -> list[str]:
    published = world["published"]
    claim = Claim.objects.filter(incident=published, source__confidential=False).first()
    reads = [
        f"{API}/incidents/?page_size=500",
        f"{API}/incidents/{published.public_id}/",
        f"{API}/incidents/{world['draft'].public_id}/",
        f"{API}/incidents/{published.public_id}/claims/",
        f"{API}/incidents/{published.public_id}/claims/{claim.pk}/",
        f"{API}/incidents.geojson",
        f"{API}/incidents.csv",
        f"{API}/incidents.acled.csv",
        f"{API}/statistics/",
        f"{API}/map/?zoom=6",
        f"{API}/map/?zoom=6&status=published",
        f"{API}/map/?zoom=14&bbox=35.8,35.3,36.0,35.4",
        f"{API}/sources/?limit=500",
        f"{API}/actors/?limit=500",
        f"{API}/episodes/?limit=500",
        f"{API}/places/?q=Jableh",
        f"{API}/governorates/",
        "/",
        f"/incidents/{published.public_id}/",
        "/episodes/",
        "/feeds/incidents.atom",
        f"/feeds/incidents.atom?episode={world['episode'].slug}",
        "/embed/",
    ]
    for slug in Source.objects.values_list("slug", flat=True):
        reads.append(f"{API}/sources/{slug}/")
    for slug in Actor.objects.values_list("slug", flat=True):
        reads.append(f"{API}/actors/{slug}/")
    for slug in Episode.objects.values_list("slug", flat=True):
        reads += [f"{API}/episodes/{slug}/", f"/episodes/{slug}/"]
    return reads


@pytest.mark.parametrize("role", ["anonymous", "researcher", "reviewer"])
def test_no_public_read_shows_a_confidential_marker(world, client, researcher, reviewer, role):
    # Also with a range that counts the confidential claim: only the count is said.
    published = world["published"]
    services.incident_set_figures_scope(
        incident=published, user=reviewer, expected_version=None, include_confidential=True
    )
    if role == "researcher":
        client.force_login(researcher)
    elif role == "reviewer":
        client.force_login(reviewer)
    checked = 0
    for path in _public_reads(world):
        for language in ("en", "ar"):
            client.cookies["django_language"] = language
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            body = _read(response)
            assert MARKER not in body.lower(), f"{path} ({language}, {role}) shows it"
            if response.status_code == 200:
                checked += 1
    assert checked >= 40
    # The document says the range counts one confidential claim, never which.
    document = json.loads(_read(client.get(f"{API}/incidents/{published.public_id}/")))
    assert document["killed"]["confidential_claims"] == 1
