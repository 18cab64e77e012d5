"""The researchers' admin: pages, form errors, workflow actions and role permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Claim, Incident, Source, Status

ADD_URL = reverse("admin:incidents_incident_add")


def _change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def _form(source: Source | None = None, claims: list[dict[str, Any]] | None = None, **fields: Any):
    data: dict[str, Any] = {
        "title": "Shooting at a checkpoint",
        "title_ar": "إطلاق نار على حاجز",
        "summary": "",
        "summary_ar": "",
        "event_type": "attack_on_civilians",
        "date_start": "2025-03-07",
        "date_end": "2025-03-07",
        "date_precision": "day",
        "place_name": "Jableh",
        "location_precision": "settlement",
        "latitude": "35.36",
        "longitude": "35.93",
        "location_note": "",
        "figure_rule": "range_of_claims",
        "figure_rationale": "",
        "grade": "weak",
        "attributions-TOTAL_FORMS": "0",
        "attributions-INITIAL_FORMS": "0",
        "attributions-MIN_NUM_FORMS": "0",
        "attributions-MAX_NUM_FORMS": "1000",
    }
    claims = claims or []
    data.update(
        {
            "claims-TOTAL_FORMS": str(len(claims)),
            "claims-INITIAL_FORMS": str(sum(1 for c in claims if c.get("id"))),
            "claims-MIN_NUM_FORMS": "0",
            "claims-MAX_NUM_FORMS": "1000",
        }
    )
    for index, claim in enumerate(claims):
        values = {"source": source.pk if source else "", "quote": "", "attributed_to": ""}
        values.update(claim)
        for key, value in values.items():
            data[f"claims-{index}-{key}"] = value
    data.update(fields)
    return data


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def test_every_admin_page_renders_for_a_researcher(researcher_client, seeded):
    incident = Incident.objects.get(public_id="SY-2025-0011")  # a draft
    urls = [
        reverse("admin:index"),
        reverse("admin:incidents_incident_changelist"),
        ADD_URL,
        _change_url(incident),
        reverse("admin:incidents_incident_history", args=[incident.pk]),
        reverse("admin:incidents_source_changelist"),
        reverse("admin:incidents_source_add"),
        reverse("admin:incidents_actor_changelist"),
        reverse("admin:incidents_episode_changelist"),
        reverse("admin:incidents_episode_change", args=[incident.episode.pk]),
        reverse("admin:mapping_place_changelist"),
        reverse("admin:mapping_place_add"),
    ]
    for url in urls:
        response = researcher_client.get(url)
        assert response.status_code == 200, url


def test_the_incident_form_carries_the_point_picker(researcher_client):
    page = researcher_client.get(ADD_URL).content.decode()
    assert "data-point-picker" in page
    assert 'data-lat-input="id_latitude"' in page
    assert "leaflet/leaflet.js" in page and "incidents/admin/point_picker.js" in page
    assert "tile.openstreetmap.org" in page


def test_a_researcher_creates_an_incident_with_a_claim(researcher_client, researcher, source):
    response = researcher_client.post(
        ADD_URL,
        _form(
            source,
            claims=[{"killed_min": "7", "killed_max": "7", "quote": "Seven people were shot."}],
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.public_id == "SY-2025-0001"
    assert incident.status == Status.DRAFT
    assert (incident.killed_low, incident.killed_high) == (7, 7)
    assert incident.claims.get().history.first().history_user == researcher
    assert incident.history.first().history_user == researcher


@pytest.mark.parametrize(
    ("fields", "claims", "field", "message"),
    [
        ({"latitude": "91"}, [], "latitude", "less than or equal to 90"),
        ({"longitude": "-200"}, [], "longitude", "greater than or equal to -180"),
        ({"date_end": "2025-03-01"}, [], "date_end", "before the start date"),
        ({"date_start": "2999-01-01", "date_end": "2999-01-01"}, [], "date_start", "future"),
        (
            {
                "figure_rule": "manual",
                "killed_low": "-4",
                "killed_best": "2",
                "killed_high": "3",
                "figure_rationale": "x",
            },
            [],
            "killed_low",
            "greater than or equal to 0",
        ),
        (
            {"figure_rule": "manual", "killed_low": "1", "killed_best": "2", "killed_high": "3"},
            [],
            "figure_rationale",
            "by hand",
        ),
    ],
)
def test_bad_incident_input_gets_a_field_error_and_changes_nothing(
    researcher_client, source, fields, claims, field, message
):
    response = researcher_client.post(ADD_URL, _form(source, claims, **fields))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("claim", "field", "message"),
    [
        ({"killed_min": "12", "killed_max": "5", "quote": "q"}, "killed_max", "below the minimum"),
        ({"killed_min": "-3", "quote": "q"}, "killed_min", "greater than or equal to 0"),
        ({"killed_min": "3", "quote": ""}, "quote", "required"),
    ],
)
def test_bad_claim_input_gets_a_field_error_and_changes_nothing(
    researcher_client, source, claim, field, message
):
    response = researcher_client.post(ADD_URL, _form(source, claims=[claim]))
    assert response.status_code == 200
    claim_errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert field in claim_errors, claim_errors
    assert message in " ".join(claim_errors[field])
    assert Incident.objects.count() == 0 and Claim.objects.count() == 0


def test_a_stale_edit_is_refused_with_a_form_error(researcher_client, incident, source):
    stale_version = incident.version
    claim = incident.claims.get()
    claims = [
        {
            "id": claim.pk,
            "incident": incident.pk,
            "killed_min": "12",
            "quote": claim.quote,
            "attributed_to": "",
        }
    ]
    ok = researcher_client.post(
        _change_url(incident), _form(source, claims, expected_version=stale_version, title="First")
    )
    assert ok.status_code == 302
    stale = researcher_client.post(
        _change_url(incident), _form(source, claims, expected_version=stale_version, title="Second")
    )
    assert stale.status_code == 200
    assert "Someone else changed this incident" in stale.content.decode()
    assert Incident.objects.get(pk=incident.pk).title == "First"


def test_editing_a_claim_in_the_admin_recomputes_the_figures(researcher_client, incident, source):
    claim = incident.claims.get()
    claims = [
        {
            "id": claim.pk,
            "incident": incident.pk,
            "killed_min": "20",
            "killed_max": "30",
            "quote": claim.quote,
            "attributed_to": "",
        }
    ]
    response = researcher_client.post(
        _change_url(incident), _form(source, claims, expected_version=incident.version)
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (20, 25, 30)


def _action(client, action: str, incident: Incident, reason: str = ""):
    return client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": action, "_selected_action": [incident.pk], "reason": reason},
        follow=True,
    )


def test_a_researcher_can_submit_but_not_publish_or_retract(researcher_client, incident):
    page = researcher_client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert 'value="submit_for_review"' in page
    assert 'value="publish"' not in page and 'value="retract"' not in page
    _action(researcher_client, "submit_for_review", incident)
    incident.refresh_from_db()
    assert incident.status == Status.IN_REVIEW
    _action(researcher_client, "publish", incident)
    incident.refresh_from_db()
    assert incident.status == Status.IN_REVIEW


def test_a_reviewer_publishes_and_retracts_with_a_reason(reviewer_client, incident):
    _action(reviewer_client, "publish", incident)
    incident.refresh_from_db()
    assert incident.status == Status.PUBLISHED
    response = _action(reviewer_client, "retract", incident)  # no reason
    assert "Give a reason" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.PUBLISHED
    _action(reviewer_client, "retract", incident, reason="Same event as SY-2025-0004")
    incident.refresh_from_db()
    assert incident.status == Status.RETRACTED


def test_a_researcher_sees_a_published_incident_read_only(
    researcher_client, reviewer, incident, source
):
    from incidents import services

    services.incident_publish(incident=incident, user=reviewer)
    page = researcher_client.get(_change_url(incident)).content.decode()
    assert 'name="title"' not in page  # shown, not editable
    response = researcher_client.post(
        _change_url(incident), _form(source, expected_version=incident.version, title="Hijack")
    )
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).title != "Hijack"


def test_search_finds_arabic_titles_and_place_names(researcher_client, seeded):
    url = reverse("admin:incidents_incident_changelist")
    for query, public_id in [
        ("المختارية", "SY-2025-0005"),
        ("Qusour", "SY-2025-0009"),
        ("أرزة", "SY-2025-0001"),
        ("Mukhtariya", "SY-2025-0005"),
    ]:
        page = researcher_client.get(url, {"q": query}).content.decode()
        assert public_id in page, query


def test_list_filters(researcher_client, seeded):
    url = reverse("admin:incidents_incident_changelist")
    response = researcher_client.get(url, {"status__exact": "draft"})
    assert [i.public_id for i in response.context["cl"].result_list] == ["SY-2025-0011"]
    response = researcher_client.get(url, {"event_type__exact": "mass_grave"})
    assert len(response.context["cl"].result_list) == 1
    response = researcher_client.get(url, {"grade__exact": "weak"})
    assert {i.grade for i in response.context["cl"].result_list} == {"weak"}
    today = dt.date.today()
    response = researcher_client.get(
        url, {"date_start__gte": "2025-03-01", "date_start__lt": str(today)}
    )
    assert "SY-2025-0001" not in {i.public_id for i in response.context["cl"].result_list}


def test_history_page_shows_who_changed_what(researcher_client, incident):
    page = researcher_client.get(
        reverse("admin:incidents_incident_history", args=[incident.pk])
    ).content.decode()
    assert "rita" in page and "Created" in page


# --- place suggestions and the gazetteer's admin ------------------------------------------

SUGGEST_URL = reverse("admin:incidents_incident_place_suggest")


def test_place_suggestions_come_in_english_and_arabic_with_their_governorate(
    researcher_client, gazetteer_loaded
):
    for query in ("Mukhtariyya", "المختارية"):
        response = researcher_client.get(SUGGEST_URL, {"q": query})
        assert response.status_code == 200
        data = response.json()
        assert data["found"] is True
        best = data["matches"][0]
        assert (best["slug"], best["name_ar"]) == ("al-mukhtariyah", "المختارية")
        assert best["governorate"]["slug"] == "latakia-governorate"
        assert best["governorate"]["name_ar"] == "محافظة اللاذقية"
        assert best["district"]["slug"] == "al-haffah-district"


def test_place_suggestions_say_when_nothing_matches(researcher_client, gazetteer_loaded):
    data = researcher_client.get(SUGGEST_URL, {"q": "Xyzzyville"}).json()
    assert data["found"] is False
    assert all(m["score"] < 80 for m in data["matches"])


def test_place_suggestions_can_be_narrowed_to_a_governorate(researcher_client, gazetteer_loaded):
    data = researcher_client.get(SUGGEST_URL, {"q": "Jableh", "governorate": "hama-governorate"})
    assert all(m["governorate"]["slug"] == "hama-governorate" for m in data.json()["matches"])


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "x" * 500}])
def test_bad_place_suggestion_requests_get_a_clear_400(researcher_client, gazetteer_loaded, query):
    response = researcher_client.get(SUGGEST_URL, query)
    assert response.status_code == 400
    assert response.json()["error"]


def test_place_suggestions_are_for_staff_only(client, gazetteer_loaded):
    response = client.get(SUGGEST_URL, {"q": "Jableh"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_incident_form_offers_place_suggestions(researcher_client):
    page = researcher_client.get(ADD_URL).content.decode()
    assert f'data-place-suggest="{SUGGEST_URL}"' in page
    assert "incidents/admin/place_suggest.js" in page


def test_saving_an_incident_in_the_admin_sets_its_admin_areas(
    researcher_client, gazetteer_loaded, source
):
    response = researcher_client.post(
        ADD_URL, _form(source, latitude="35.18188", longitude="35.94871", place_name="Banias")
    )
    assert response.status_code == 302
    incident = Incident.objects.get(place_name="Banias")
    assert incident.governorate.slug == "tartus-governorate"
    assert incident.district.slug == "baniyas-district"


def test_place_search_in_the_admin_understands_spellings(researcher_client, gazetteer_loaded):
    response = researcher_client.get(
        reverse("admin:mapping_place_changelist"), {"q": "Mukhtariyya"}
    )
    assert "Al-Mukhtariya" in response.content.decode()
    autocomplete = researcher_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Banias",
            "app_label": "incidents",
            "model_name": "incident",
            "field_name": "place",
        },
    )
    assert "Baniyas" in [r["text"].split(" (")[0] for r in autocomplete.json()["results"]]


def test_a_researcher_adds_a_curated_place_only_with_its_source(researcher_client):
    from mapping.models import Place

    data = {
        "name": "Tuwaym al-Gharbi",
        "name_ar": "",
        "alternate_names": "[]",
        "slug": "tuwaym-al-gharbi",
        "kind": "village",
        "latitude": "35.1",
        "longitude": "36.5",
        "coordinate_precision": "settlement",
        "origin": "researcher",
        "origin_note": "",
    }
    url = reverse("admin:mapping_place_add")
    response = researcher_client.post(url, data)
    assert response.status_code == 200
    assert "Say where this entry" in response.content.decode()
    assert not Place.objects.filter(slug="tuwaym-al-gharbi").exists()
    data["origin_note"] = "Position read from a 1:50,000 map by the team."
    assert researcher_client.post(url, data).status_code == 302
    assert Place.objects.get(slug="tuwaym-al-gharbi").origin == "researcher"


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ({"figure_kind": "at_least", "figure": "7"}, (7, None, False)),
        ({"figure_kind": "more_than", "figure": "100"}, (101, None, False)),
        ({"figure_kind": "exact", "figure": "7"}, (7, 7, False)),
        ({"figure_kind": "around", "figure": "10"}, (10, 10, True)),
        ({"figure_kind": "around", "figure": "30", "figure_to": "50"}, (30, 50, True)),
        ({"figure_kind": "range", "figure": "30", "figure_to": "50"}, (30, 50, False)),
        ({"figure_kind": "up_to", "figure": "20"}, (0, 20, False)),
        ({"figure_kind": "vague"}, (None, None, False)),
    ],
)
def test_the_claim_form_fills_minimum_and_maximum_from_the_figure_kind(
    researcher_client, source, entry, stored
):
    # Whatever was typed into minimum and maximum, the kind's rule decides them.
    claim = {"quote": "The source's sentence.", "killed_min": "999", **entry}
    response = researcher_client.post(ADD_URL, _form(source, claims=[claim]))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    saved = Claim.objects.get()
    assert (saved.killed_min, saved.killed_max, saved.approximate) == stored
    assert saved.figure_kind == entry["figure_kind"]


def test_at_least_7_through_the_claim_form_is_published_as_7_or_more(researcher_client, source):
    claim = {"quote": "At least 7 civilians were killed.", "figure_kind": "at_least", "figure": "7"}
    response = researcher_client.post(ADD_URL, _form(source, claims=[claim]))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (7, 7, None)
    assert incident.killed_high_open
    page = researcher_client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert "7 or more (best 7)" in page


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ({"figure_kind": "at_least"}, "figure", "Give the figure"),
        ({"figure_kind": "range", "figure": "30"}, "figure_to", "needs the figure it runs to"),
        ({"figure_kind": "range", "figure": "30", "figure_to": "30"}, "figure_to", "higher"),
        ({"figure_kind": "exact", "figure": "3", "figure_to": "9"}, "figure_to", "Only a range"),
    ],
)
def test_a_figure_that_does_not_fit_its_kind_is_a_field_error_and_writes_nothing(
    researcher_client, source, entry, field, message
):
    claim = {"quote": "The source's sentence.", **entry}
    response = researcher_client.post(ADD_URL, _form(source, claims=[claim]))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert message in " ".join(errors[field])
    assert not Incident.objects.exists() and not Claim.objects.exists()


def test_the_claim_form_shows_each_kinds_rule_and_the_stored_figure(
    researcher_client, researcher, source
):
    incident = services.incident_create(
        user=researcher,
        title="Shelling",
        event_type="shelling",
        date_start=dt.date(2025, 3, 7),
        date_end=dt.date(2025, 3, 7),
        claims=[
            {
                "source": source,
                "quote": "More than 100 were killed.",
                "figure_kind": "more_than",
                "killed_min": 101,
            }
        ],
    )
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    page = researcher_client.get(url).content.decode()
    assert "data-figure-rules" in page and "incidents/admin/figure_entry.js" in page
    for kind in ("exact", "at_least", "more_than", "around", "range", "up_to", "vague"):
        assert f'data-rule="{kind}"' in page
    assert "minimum 40, no maximum" in page
    assert 'class="figure-kind-rule is-selected" data-rule="more_than"' in page
    # The figure as the source stated it, not the minimum it became.
    assert 'name="claims-0-figure" value="100"' in page


def test_the_figure_preview_applies_the_kinds_rule(researcher_client):
    url = reverse("admin:incidents_incident_figure_preview")
    answer = researcher_client.get(url, {"kind": "more_than", "figure": "100"}).json()
    assert answer == {"killed_min": 101, "killed_max": None, "approximate": False}
    refused = researcher_client.get(url, {"kind": "range", "figure": "5"}).json()
    assert "needs the figure it runs to" in refused["errors"]["second"][0]
    assert "killed_min" not in refused
