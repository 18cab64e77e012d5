"""The drafting engine: casualty phrases, numbers, dates, places, actors, event types, and
the verbatim quotes, on sentences written for these tests and on the seed's own quotes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from incidents import services
from incidents.drafting import propose
from incidents.drafting.actors import ActorIndex
from incidents.drafting.dates import find_dates
from incidents.drafting.numbers import read_number
from incidents.drafting.text import sentences, tokenize
from incidents.models import Actor, ActorKind
from incidents.seed import SEED_DIR

SATURDAY = dt.date(2025, 3, 8)


@pytest.fixture
def actors(db: None) -> dict[str, Actor]:
    def make(slug: str, name: str, name_ar: str = "", aliases: list[str] | None = None) -> Actor:
        return services.actor_create(
            user=None,
            slug=slug,
            name=name,
            name_ar=name_ar,
            aliases=aliases or [],
            kind=ActorKind.UNKNOWN,
        )

    return {
        "government": make(
            "government-forces",
            "Syrian transitional government forces",
            "قوات الحكومة السورية الانتقالية",
            ["government forces", "security forces"],
        ),
        "loyalists": make(
            "assad-loyalists",
            "Assad loyalist armed groups",
            "",
            ["Assad loyalists", "pro-Assad groups"],
        ),
        "hts": make("hts", "Hayat Tahrir al-Sham", "هيئة تحرير الشام", ["HTS"]),
    }


def one(text: str, published: dt.date = SATURDAY, **kwargs):
    proposals = propose(text, published=published, **kwargs)
    assert len(proposals) == 1, [p.quote for p in proposals]
    return proposals[0]


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "value", "approximate"),
    [
        ("one", 1, False),
        ("twelve", 12, False),
        ("twenty", 20, False),
        ("twenty-five", 25, False),
        ("ninety nine", 99, False),
        ("a hundred", 100, False),
        ("one hundred", 100, False),
        ("two hundred and fifty", 250, False),
        ("a thousand", 1000, False),
        ("a dozen", 12, True),
        ("two dozen", 24, True),
        ("1,000", 1000, False),
        ("745", 745, False),
        ("٤٠", 40, False),
        ("dozens", None, False),
        ("hundreds", None, False),
    ],
)
def test_numbers_in_digits_and_words(words: str, value: int | None, approximate: bool) -> None:
    number = read_number(tokenize(words + " people"), 0)
    assert number is not None
    assert number.value == value
    assert number.approximate is approximate


# --- casualty phrases --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "low", "high", "approximate", "breakdown"),
    [
        ("At least 40 civilians were killed.", 40, None, False, {"civilians": 40}),
        ("No fewer than 7 people were executed.", 7, None, False, {}),
        ("Around 10 people were killed.", 10, 10, True, {}),
        ("About 125 civilians have been executed.", 125, 125, True, {"civilians": 125}),
        ("Nearly 750 civilians were killed.", 750, 750, True, {"civilians": 750}),
        ("Five civilians were said to have been killed.", 5, 5, False, {"civilians": 5}),
        (
            "Gunmen killed more than 100 members of the security forces.",
            101,
            None,
            False,
            {"security_forces": 101},
        ),
        ("Over 30 soldiers died in the attack.", 31, None, False, {"security_forces": 31}),
        ("The gunmen killed 15 on the road.", 15, 15, False, {}),
        ("Rescuers recovered the bodies of 21 from the river.", 21, 21, False, {}),
        ("Between 30 and 50 fighters died in the battle.", 30, 50, False, {"combatants": 30}),
        ("From 8 to 12 gunmen were killed.", 8, 12, False, {"combatants": 8}),
        ("Up to 20 people may have been killed.", 0, 20, False, {}),
        ("A dozen women were shot dead.", 12, 12, True, {"women": 12}),
        ("Twenty-five children were killed in the strike.", 25, 25, False, {"children": 25}),
        ("Eleven medics were killed.", 11, 11, False, {"medical_personnel": 11}),
        ("The death toll has risen to two hundred and fifty.", 250, 250, False, {}),
        ("The toll surpassed 1,000 on Saturday.", 1001, None, False, {}),
        ("Ten more men were executed.", 10, 10, False, {}),
        ("31 victims were buried.", 31, 31, False, {}),
        ("٤٠ civilians were killed.", 40, 40, False, {"civilians": 40}),
        (
            "The attack killed 12 people, including three children and two women.",
            12,
            12,
            False,
            {"children": 3, "women": 2},
        ),
        (
            "Loyalists killed 172 members of the security forces, along with 211 civilians.",
            383,
            383,
            False,
            {"security_forces": 172, "civilians": 211},
        ),
    ],
)
def test_casualty_phrases(
    gazetteer_loaded: None,
    sentence: str,
    low: int | None,
    high: int | None,
    approximate: bool,
    breakdown: dict[str, int],
) -> None:
    proposal = one(sentence, actors=[])
    assert (proposal.killed_min, proposal.killed_max) == (low, high)
    assert proposal.approximate is approximate
    assert proposal.breakdown == breakdown


@pytest.mark.parametrize(
    "sentence",
    [
        "Dozens of civilians were killed in Jableh.",
        "Hundreds of people were executed in Baniyas.",
    ],
)
def test_a_count_without_a_number_is_a_mention_without_a_figure(
    gazetteer_loaded: None, sentence: str
) -> None:
    proposal = one(sentence, actors=[])
    assert proposal.killed_min is None and proposal.killed_max is None
    assert not proposal.has_figure
    assert proposal.figure_text.split()[0] in ("Dozens", "Hundreds")
    assert proposal.place is not None


@pytest.mark.parametrize(
    "sentence",
    [
        "Twenty people were wounded in the shelling.",
        "The army deployed 500 soldiers after the attack.",
        "A 57-year-old resident of Baniyas said he fled 12 miles on 7 March 2025.",
        "The ministry mobilised thousands of troops.",
        "In 2024 the town had 5,000 residents.",
    ],
)
def test_numbers_that_count_no_dead_are_not_figures(gazetteer_loaded: None, sentence: str) -> None:
    assert [p for p in propose(sentence, published=SATURDAY, actors=[]) if p.has_figure] == []


def test_counts_at_two_places_in_one_sentence_become_two_proposals(gazetteer_loaded: None) -> None:
    proposals = propose(
        "Five civilians were killed in Jableh and seven in Baniyas on Friday.",
        published=SATURDAY,
        actors=[],
    )
    assert [(p.place.slug, p.killed_min) for p in proposals] == [("jablah", 5), ("baniyas", 7)]
    assert proposals[1].breakdown == {"civilians": 7}


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "start", "end", "precision"),
    [
        ("on Friday", "2025-03-07", "2025-03-07", "day"),
        ("on Saturday", "2025-03-08", "2025-03-08", "day"),
        ("last Saturday", "2025-03-01", "2025-03-01", "day"),
        ("yesterday", "2025-03-07", "2025-03-07", "day"),
        ("today", "2025-03-08", "2025-03-08", "day"),
        ("on Thursday and Friday", "2025-03-06", "2025-03-07", "days"),
        ("since Thursday", "2025-03-06", "2025-03-08", "days"),
        ("on March 7", "2025-03-07", "2025-03-07", "day"),
        ("on 7 March", "2025-03-07", "2025-03-07", "day"),
        ("between 6-7 March", "2025-03-06", "2025-03-07", "days"),
        ("on March 6-7", "2025-03-06", "2025-03-07", "days"),
        ("on 7 March 2024", "2024-03-07", "2024-03-07", "day"),
        ("on 31 January", "2025-01-31", "2025-01-31", "day"),
        ("on 20 December", "2024-12-20", "2024-12-20", "day"),
        ("last week", "2025-02-24", "2025-03-02", "week"),
        ("earlier this week", "2025-03-03", "2025-03-08", "week"),
        ("last month", "2025-02-01", "2025-02-28", "month"),
        ("earlier this month", "2025-03-01", "2025-03-08", "month"),
        ("in early February", "2025-02-01", "2025-02-10", "month"),
        ("three days ago", "2025-03-05", "2025-03-05", "day"),
    ],
)
def test_dates_resolve_against_the_publication_date(
    phrase: str, start: str, end: str, precision: str
) -> None:
    found = find_dates(tokenize(f"Ten people were killed {phrase}."), SATURDAY)
    assert len(found) == 1
    assert (found[0].start_date.isoformat(), found[0].end_date.isoformat()) == (start, end)
    assert found[0].precision == precision


def test_a_proposal_takes_its_sentence_date_or_says_it_has_none(gazetteer_loaded: None) -> None:
    dated = one("Ten people were killed in Jableh on Thursday and Friday.", actors=[])
    assert (dated.date_start, dated.date_end) == (dt.date(2025, 3, 6), dt.date(2025, 3, 7))
    assert dated.date_precision == "days"
    assert dated.date_as_reported == "Thursday and Friday"
    undated = one("Ten people were killed in Jableh.", actors=[])
    assert (undated.date_start, undated.date_end) == (dt.date(2025, 3, 2), SATURDAY)
    assert any("No date given" in note for note in undated.notes)


def test_the_same_day_is_the_day_given_before(gazetteer_loaded: None) -> None:
    first, second = propose(
        "On 6 March, 20 civilians were executed in Jableh. "
        "On the same day, around 10 people were killed in the nearby town of Al-Haffa.",
        published=SATURDAY,
        actors=[],
    )
    assert first.date_start == second.date_start == dt.date(2025, 3, 6)
    assert second.place.slug == "al-haffah"


# --- places ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "slug"),
    [
        ("in the village of Mukhtareyah", "al-mukhtariyah"),
        ("in al-Mukhtariyah", "al-mukhtariyah"),
        ("in Mukhtariya", "al-mukhtariyah"),
        ("in Al-Mukhtariyya", "al-mukhtariyah"),
        ("in Baniyas", "baniyas"),
        ("in Banias", "baniyas"),
        ("in Jableh", "jablah"),
        ("in Jebleh", "jablah"),
        ("in Haffa", "al-haffah"),
        ("in Al-Haffah", "al-haffah"),
        ("in the town of Arza", "arza"),
        ("in Homs province", "homs-governorate"),
        ("في المختارية", "al-mukhtariyah"),
        ("في جبلة", "jablah"),
    ],
)
def test_places_through_the_gazetteer_in_any_spelling(
    gazetteer_loaded: None, where: str, slug: str
) -> None:
    proposal = one(f"At least 12 civilians were killed {where}.", actors=[])
    assert proposal.place is not None
    assert proposal.place.slug == slug


def test_the_containing_area_narrows_and_is_kept_as_reported(gazetteer_loaded: None) -> None:
    proposal = one(
        "At least 40 civilians were executed in Al-Mukhtariyya in the Latakia countryside.",
        actors=[],
    )
    assert proposal.place.slug == "al-mukhtariyah"
    assert proposal.place_as_reported == "Al-Mukhtariyya in the Latakia countryside"
    assert proposal.location_precision == "subdistrict"  # the curated entry's own precision


def test_two_places_for_one_figure_are_offered_with_a_coarser_precision(
    gazetteer_loaded: None,
) -> None:
    proposal = one("Five civilians were killed in Al-Fandara and Masyaf.", actors=[])
    assert proposal.place.slug == "al-fandara"
    assert "masyaf" in [p.slug for p in proposal.place_alternatives]
    assert proposal.location_precision == "district"


def test_the_city_points_back_to_the_place_named_before(gazetteer_loaded: None) -> None:
    proposals = propose(
        "On 6 March in the city of Baniyas, gunmen attacked checkpoints.\n"
        "Security forces then entered the city, and around 50 civilians were executed.",
        published=SATURDAY,
        actors=[],
    )
    figure = next(p for p in proposals if p.has_figure)
    assert figure.place.slug == "baniyas"
    assert figure.place_from_context


def test_a_government_seat_or_no_place_is_not_taken_for_the_incident(
    gazetteer_loaded: None,
) -> None:
    proposal = one(
        "The government in Damascus said 30 fighters were killed in the north-west.", actors=[]
    )
    assert proposal.place is None
    assert proposal.location_precision == "country"


# --- actors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "slug", "text"),
    [
        ("Five civilians were killed by HTS in Idlib.", "hts", "HTS"),
        (
            "Ten civilians were killed by Hayat Tahrir al-Sham in Idlib.",
            "hts",
            "Hayat Tahrir al-Sham",
        ),
        ("Assad loyalists killed 12 soldiers near Jableh.", "assad-loyalists", "Assad loyalists"),
        (
            "Pro-Assad armed groups killed 7 civilians in Jableh.",
            "assad-loyalists",
            "Pro-Assad armed groups",
        ),
        (
            "About 40 civilians were executed by Syrian government forces in Mukhtariya.",
            "government-forces",
            "Syrian government forces",
        ),
    ],
)
def test_actors_by_name_and_alias(
    gazetteer_loaded: None, actors: dict[str, Actor], sentence: str, slug: str, text: str
) -> None:
    proposal = one(sentence)
    assert proposal.perpetrator is not None
    assert proposal.perpetrator.slug == slug
    assert proposal.perpetrator_text == text


def test_killed_security_forces_are_victims_not_perpetrators(
    gazetteer_loaded: None, actors: dict[str, Actor]
) -> None:
    proposal = one("Assad loyalists killed 100 members of the security forces in Jableh.")
    assert proposal.perpetrator.slug == "assad-loyalists"
    assert proposal.breakdown == {"security_forces": 100}


def test_actors_by_arabic_name(actors: dict[str, Actor]) -> None:
    index = ActorIndex(Actor.objects.all())
    found = index.find(tokenize("قتلت هيئة تحرير الشام عشرة مدنيين"))
    assert [m.actor.slug for m in found] == ["hts"]


# --- event types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "event_type"),
    [
        ("Ten men were executed in Arza.", "summary_execution"),
        ("The execution of 10 men in Arza was filmed.", "summary_execution"),
        ("Ten people died in a massacre in Arza.", "massacre"),
        ("Shelling killed 6 civilians in Jableh.", "shelling"),
        ("An airstrike killed 9 people in Idlib.", "airstrike"),
        ("Gunmen ambushed a patrol near Jableh, killing 4 soldiers.", "ambush"),
        ("31 victims were laid to rest in a mass grave in Tuwaym.", "mass_grave"),
        ("Gunmen opened fire and killed 3 civilians in Baniyas.", "attack_on_civilians"),
    ],
)
def test_event_type_from_the_words(gazetteer_loaded: None, sentence: str, event_type: str) -> None:
    assert one(sentence, actors=[]).event_type == event_type


# --- quotes ------------------------------------------------------------------------------


def test_every_quote_is_its_sentence_verbatim(gazetteer_loaded: None) -> None:
    text = (
        "Headline without a full stop\n"
        "“It was very bad,” said a resident. At least 12 civilians were killed in Jableh "
        "on Friday, the U.N. said.\r\n\n"
        "In the village of Arza, around 10 civilians were executed; their bodies were left "
        "in public view. Dr. Ahmad counted 5 bodies in Baniyas!"
    )
    proposals = propose(text, published=SATURDAY, actors=[])
    assert [p.quote for p in proposals] == [
        "At least 12 civilians were killed in Jableh on Friday, the U.N. said.",
        "In the village of Arza, around 10 civilians were executed; their bodies were left "
        "in public view.",
        "Dr. Ahmad counted 5 bodies in Baniyas!",
    ]
    for proposal in proposals:
        assert text[proposal.quote_start : proposal.quote_end] == proposal.quote
        for highlight in proposal.highlights:
            assert 0 <= highlight.start < highlight.end <= len(proposal.quote)
    assert [s.paragraph for s in sentences(text)] == [0, 1, 1, 2, 2]


def _seed_claims() -> list[dict]:
    data = json.loads((SEED_DIR / "coastal_march_2025.json").read_text(encoding="utf-8"))
    claims = [c for incident in data["incidents"] for c in incident["claims"]]
    claims += [c for episode in data["episodes"] for c in episode["claims"]]
    return claims


def test_the_seed_quotes_give_their_recorded_figures(seeded: None) -> None:
    """Each quote of the seed, run alone, is proposed with itself as the quote, and the
    figure the researchers recorded is among what the engine reads in it."""
    checked = 0
    for claim in _seed_claims():
        proposals = propose(claim["quote"], published=SATURDAY)
        assert proposals or claim.get("killed_min") is None, claim["quote"]
        for proposal in proposals:
            assert proposal.quote == claim["quote"]
        if claim.get("killed_min") is None:
            continue
        read = {p.killed_min for p in proposals} | {
            v for p in proposals for v in p.breakdown.values()
        }
        assert claim["killed_min"] in read, claim["quote"]
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("quote_starts", "low", "high", "approximate", "place", "perpetrator"),
    [
        (
            "In one disturbing incident",
            40,
            None,
            False,
            "al-mukhtariyah",
            "syrian-government-forces",
        ),
        ("SNHR reported that in al-Mukhtariya", 40, 40, True, "al-mukhtariyah", None),
        ("On the same day, in the nearby town", 10, 10, True, "al-haffah", None),
        ("Five civilians were said", 5, 5, False, "al-fandara", "syrian-government-forces"),
        ("In the village of Arza", 10, 10, True, "arza", "syrian-government-forces"),
        ("In one case, on 31 January", 8, 8, False, "arza", None),
        ("Ten more men were executed", 10, 10, False, "arza", None),
        ("The SNHR documents that", 15, None, False, "jablah", "assad-loyalists"),
        ("In Tuwaym, a central village", 31, 31, False, "tuwaym", None),
    ],
)
def test_seed_quotes_in_detail(
    seeded: None,
    quote_starts: str,
    low: int,
    high: int | None,
    approximate: bool,
    place: str,
    perpetrator: str | None,
) -> None:
    claim = next(c for c in _seed_claims() if c["quote"].startswith(quote_starts))
    proposal = one(claim["quote"])
    assert (proposal.killed_min, proposal.killed_max) == (low, high)
    assert proposal.approximate is approximate
    assert proposal.place.slug == place
    assert (proposal.perpetrator.slug if proposal.perpetrator else None) == perpetrator
