"""``manage.py geocode_incidents``: points for incidents known only by a place name."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from incidents import services
from incidents.management.commands.geocode_incidents import name_candidates
from incidents.models import Incident
from tests.conftest import incident_fields


def test_name_candidates_drop_the_words_around_the_name():
    assert name_candidates("outskirts of the city of Jableh")[1] == "Jableh"
    assert "Tuwaym" in name_candidates("Tuwaym, described as a central village")
    assert "Al-Qusour" in name_candidates("Al-Qusour neighbourhood, Baniyas")


def test_a_dry_run_reports_and_changes_nothing(seeded, capsys):
    call_command("geocode_incidents", "--dry-run")
    out = capsys.readouterr().out
    assert "SY-2025-0011" in out and "Tuwaym" in out and "score 100" in out
    assert "1 incident(s) would be geocoded, 0 not resolved." in out
    assert Incident.objects.get(public_id="SY-2025-0011").latitude is None


def test_the_tuwaym_incident_gets_its_place_with_honest_precision(seeded, capsys):
    before = Incident.objects.get(public_id="SY-2025-0011")
    call_command("geocode_incidents")
    incident = Incident.objects.get(public_id="SY-2025-0011")
    assert incident.place.slug == "tuwaym"
    assert (incident.latitude, incident.longitude) == (35.0, 38.0)
    # Tuwaym's position is known only to the country: no governorate is claimed for it.
    assert incident.location_precision == "country"
    assert incident.governorate is None and incident.district is None
    assert "Geocoded from 'Tuwaym, described as a central village'" in incident.location_note
    assert before.location_note in incident.location_note
    assert incident.version == before.version + 1
    latest = incident.history.first()
    assert latest.history_change_reason == "Geocoded from the place as reported"
    assert "1 incident(s) geocoded" in capsys.readouterr().out


def test_an_unknown_place_is_reported_and_left_alone(gazetteer_loaded, researcher, capsys):
    services.incident_create(
        user=researcher, **incident_fields(latitude=None, longitude=None, place_name="Xyzzyville")
    )
    services.incident_create(
        user=researcher,
        **incident_fields(latitude=None, longitude=None, place_name="the village of Arzah"),
    )
    call_command("geocode_incidents", "--min-score", "90")
    out = capsys.readouterr().out
    assert "'Xyzzyville': not resolved (nearest:" in out
    assert "1 incident(s) geocoded, 1 not resolved." in out
    arza = Incident.objects.get(place_name="the village of Arzah")
    assert arza.place.slug == "arza" and arza.governorate.slug == "hama-governorate"
    assert Incident.objects.get(place_name="Xyzzyville").latitude is None


def test_a_bad_min_score_is_refused(db):
    with pytest.raises(CommandError):
        call_command("geocode_incidents", "--min-score", "120")
