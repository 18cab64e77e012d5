"""The seed data set: the incidents of the five articles, loaded idempotently."""

from django.core.management import call_command

from incidents.models import (
    Actor,
    Attribution,
    Claim,
    Episode,
    EpisodeClaim,
    Incident,
    Source,
    Status,
)
from incidents.selectors import episode_summary
from mapping.models import Place

MODELS = [Incident, Claim, Source, Actor, Attribution, Episode, EpisodeClaim, Place]


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_loading_twice_leaves_one_copy_of_everything(db, capsys):
    call_command("load_gazetteer")
    call_command("load_seed")
    first = _counts()
    first_history = Incident.history.count()
    call_command("load_seed")
    assert _counts() == first
    assert Incident.history.count() == first_history
    assert first["Incident"] == 11 and first["Source"] == 5
    assert "incidents: 0 created, 11 present" in capsys.readouterr().out


def test_every_claim_quotes_its_source_and_every_article_is_a_source(seeded):
    assert Claim.objects.filter(quote="").count() == 0
    sources = Source.objects.all()
    assert {s.publisher for s in sources} == {"", "The Guardian", "Al-Araby Al-Jadeed"}
    assert all(s.url == "" for s in sources)  # none of the articles gives an address
    assert all(len(s.content_hash) == 64 for s in sources)
    for source in sources:
        assert source.claims.exists() or source.episodeclaims.exists()


def test_seed_figures_match_the_articles(seeded):
    def figures(public_id):
        incident = Incident.objects.get(public_id=public_id)
        return incident.killed_low, incident.killed_best, incident.killed_high

    # "At least 40" (and "about 40"): 40 or more, never a ceiling of 40.
    mukhtariya = Incident.objects.get(place__slug="al-mukhtariyah")
    assert (mukhtariya.killed_low, mukhtariya.killed_high) == (40, None)
    assert mukhtariya.killed_high_open
    assert mukhtariya.claims.count() == 2
    assert figures("SY-2025-0006") == (10, 10, 10)  # Al-Haffa, "around 10"
    assert figures("SY-2025-0007") == (5, 5, 5)  # Al-Fandara and Masyaf
    assert figures("SY-2025-0001") == (8, 8, 8)  # Arza, 31 January
    assert figures("SY-2025-0009") == (50, 50, 50)  # Baniyas, al-Qusour
    assert figures("SY-2025-0004") == (15, 15, None)  # outskirts of Jableh, "at least 15"
    assert figures("SY-2025-0002") == (100, 100, None)  # "over 100" against "100"
    open_highs = set(
        Incident.objects.filter(killed_high_open=True).values_list("public_id", flat=True)
    )
    assert open_highs == {"SY-2025-0002", "SY-2025-0004", "SY-2025-0005"}
    tuwaym = Incident.objects.get(public_id="SY-2025-0011")
    assert (tuwaym.killed_best, tuwaym.children, tuwaym.women) == (31, 9, 4)
    assert tuwaym.status == Status.DRAFT and tuwaym.latitude is None


def test_arza_is_in_hama_although_one_article_places_it_in_homs(seeded):
    for incident in Incident.objects.filter(place__slug="arza"):
        assert incident.governorate.slug == "hama-governorate"
        assert (incident.latitude, incident.longitude) == (35.1744, 36.6975)
    january = Incident.objects.get(public_id="SY-2025-0001")
    assert "Homs province" in january.claims.get().place_as_reported
    march = Incident.objects.get(public_id="SY-2025-0008")
    reported = sorted(c.place_as_reported for c in march.claims.all())
    assert any("western Hama" in text for text in reported)
    assert any("Homs" in text for text in reported)


def test_125_against_134_executions_are_reconciled_at_episode_level(seeded):
    episode = Episode.objects.get(slug="march-2025-coastal-violence")
    summary = episode_summary(episode=episode, user=None)
    executions = next(m for m in summary.measures if "summarily executed" in m.measure)
    figures = executions.reconciled
    # "at least 125", "at least 134", "about 125": no source gives a ceiling.
    assert (figures.low, figures.best, figures.high, figures.high_open) == (125, 125, None, True)
    assert len(executions.claims) == 3


def test_episode_aggregates_are_never_added_to_the_incident_sum(seeded):
    episode = Episode.objects.get(slug="march-2025-coastal-violence")
    summary = episode_summary(episode=episode, user=None)
    published = Incident.objects.filter(episode=episode, status=Status.PUBLISHED)
    assert summary.incident_count == published.count() == 9
    assert summary.killed_best == sum(i.killed_best or 0 for i in published)
    # SOHR's 745 civilians stand beside the incident sum, they are not part of it.
    assert summary.killed_best < 745
    sohr = next(m for m in summary.measures if m.measure.startswith("Civilians killed, 6"))
    assert (sohr.reconciled.low, sohr.reconciled.high) == (745, 750)
