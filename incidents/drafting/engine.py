"""Proposing incidents from an article's text.

:func:`propose` reads the article sentence by sentence. A sentence that gives a casualty
figure (or says that people were killed without a number: "dozens") becomes a proposal:
the figure with its qualifier and breakdown, the place (through the gazetteer), the dates
(resolved against the publication date), the actor held responsible, a guessed event type,
and the sentence itself, verbatim, as the claim's quote. A sentence that reports a killing,
an execution, a massacre, a strike or a mass grave at a named place without any figure is
proposed too, without a figure.

Where a sentence names no place but points back at one ("the city", "residents there"), the
place of the sentences just before is carried over and the proposal says so; a sentence
without any date takes the last date of its paragraph, or else the week before publication,
and says so too. Nothing here writes to the database: the researcher decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mapping.gazetteer import Match, district_of
from mapping.models import LocationPrecision, PlaceKind

from ..figurekinds import FigureKind, kind_of
from ..models import BREAKDOWN_FIELDS, Actor, DatePrecision, EventType
from .actors import ActorIndex, ActorMention
from .dates import DateMention, find_dates, precision_of
from .events import guess_event_type
from .figures import Phrase, find_phrases
from .places import PlaceMention, find_places
from .text import Sentence, Token, sentences

DEFAULT_WINDOW_DAYS = 6  # a sentence without a date: the week up to publication
CONTEXT_SENTENCES = 3  # how far back "the city" may point

_ANAPHORA = (
    ("the", "city"),
    ("the", "town"),
    ("the", "village"),
    ("the", "neighbourhood"),
    ("the", "neighborhood"),
    ("the", "area"),
    ("the", "district"),
    ("the", "camp"),
    ("residents",),
    ("resident",),
    ("locals",),
    ("villagers",),
    ("there",),
)
_EXISTENTIAL = frozenset({"is", "are", "was", "were", "has", "have", "had", "will", "would"})
# Words that make a figureless sentence worth proposing when it names a place.
_EVENT_WORDS = frozenset(
    {
        "killed",
        "killing",
        "killings",
        "executed",
        "execution",
        "executions",
        "massacre",
        "massacred",
        "shelling",
        "shelled",
        "airstrike",
        "airstrikes",
        "bombardment",
        "ambushed",
        "ambush",
        "bodies",
        "corpses",
        "grave",
        "operation",
    }
)
_REPORTING_VERBS = frozenset(
    {
        "said",
        "says",
        "reported",
        "reports",
        "documented",
        "documents",
        "noted",
        "recorded",
        "records",
        "counted",
        "stated",
        "confirmed",
        "announced",
        "found",
        "estimated",
        "added",
    }
)
_ORG_WORDS = frozenset(
    {
        "network",
        "observatory",
        "ministry",
        "agency",
        "press",
        "committee",
        "organization",
        "organisation",
        "monitor",
        "watch",
        "amnesty",
        "council",
        "office",
        "commission",
        "reuters",
        "media",
        "un",
        "nations",
        "defence",
        "defense",
        "helmets",
        "crescent",
    }
)
_AREA_WORDS = frozenset({"countryside", "coast", "province", "governorate", "region"})
_VICTIM_TAILS = frozenset({"affiliated", "loyal", "linked", "belonging", "with", "from", "of"})
_PRECISION_ORDER = [choice for choice, _ in LocationPrecision.choices]


@dataclass
class PlaceChoice:
    """A gazetteer place offered for a proposal."""

    slug: str
    name: str
    name_ar: str
    kind: str
    latitude: float
    longitude: float
    precision: str
    governorate: str
    district: str
    score: float
    match: str

    @classmethod
    def from_match(cls, match: Match) -> PlaceChoice:
        place = match.place
        governorate = place.governorate
        district = district_of(place)
        return cls(
            slug=place.slug,
            name=place.name,
            name_ar=place.name_ar,
            kind=place.kind,
            latitude=place.latitude,
            longitude=place.longitude,
            precision=place.coordinate_precision,
            governorate=governorate.name if governorate else "",
            district=district.name if district else "",
            score=round(match.score, 1),
            match=match.match,
        )

    @property
    def label(self) -> str:
        where = ", ".join(part for part in (self.district, self.governorate) if part)
        kind = dict(PlaceKind.choices).get(self.kind, self.kind).lower()
        return f"{self.name} ({kind}{', ' + where if where and where != self.name else ''})"


@dataclass
class Highlight:
    start: int  # offsets in the quote
    end: int
    kind: str  # "figure", "place", "date", "actor"


@dataclass
class Proposal:
    """One incident (or one more claim on an incident) that the article seems to report."""

    quote: str
    quote_start: int
    quote_end: int
    event_type: str
    title: str
    killed_min: int | None = None
    killed_max: int | None = None
    approximate: bool = False
    figure_kind: str = ""
    breakdown: dict[str, int] = field(default_factory=dict)
    figure_text: str = ""
    place: PlaceChoice | None = None
    place_alternatives: list[PlaceChoice] = field(default_factory=list)
    place_as_reported: str = ""
    place_from_context: bool = False
    location_precision: str = LocationPrecision.SETTLEMENT
    date_start: date | None = None
    date_end: date | None = None
    date_precision: str = DatePrecision.DAY
    date_as_reported: str = ""
    perpetrator: Actor | None = None
    perpetrator_text: str = ""
    attributed_to: str = ""
    highlights: list[Highlight] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_figure(self) -> bool:
        return self.killed_min is not None

    @property
    def figure_display(self) -> str:
        if self.killed_min is None:
            return "no figure"
        if self.killed_max is None:
            return f"at least {self.killed_min}"
        if self.killed_max == self.killed_min:
            return f"about {self.killed_min}" if self.approximate else str(self.killed_min)
        return f"{self.killed_min}–{self.killed_max}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (dates as ISO strings, the actor by slug)."""
        return {
            "quote": self.quote,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "event_type": self.event_type,
            "title": self.title,
            "killed_min": self.killed_min,
            "killed_max": self.killed_max,
            "approximate": self.approximate,
            "figure_kind": self.figure_kind,
            "breakdown": {name: self.breakdown.get(name) for name in BREAKDOWN_FIELDS},
            "figure_text": self.figure_text,
            "place": _place_dict(self.place),
            "place_alternatives": [_place_dict(p) for p in self.place_alternatives],
            "place_as_reported": self.place_as_reported,
            "place_from_context": self.place_from_context,
            "location_precision": self.location_precision,
            "date_start": self.date_start.isoformat() if self.date_start else None,
            "date_end": self.date_end.isoformat() if self.date_end else None,
            "date_precision": self.date_precision,
            "date_as_reported": self.date_as_reported,
            "perpetrator": self.perpetrator.slug if self.perpetrator else None,
            "perpetrator_text": self.perpetrator_text,
            "attributed_to": self.attributed_to,
            "highlights": [
                {"start": h.start, "end": h.end, "kind": h.kind} for h in self.highlights
            ],
            "notes": list(self.notes),
        }


def _place_dict(place: PlaceChoice | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {
        "slug": place.slug,
        "name": place.name,
        "name_ar": place.name_ar,
        "kind": place.kind,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "precision": place.precision,
        "governorate": place.governorate,
        "district": place.district,
        "score": place.score,
        "match": place.match,
    }


@dataclass
class _Context:
    """What earlier sentences established: the place they spoke of, the last date."""

    place: PlaceMention | None = None
    place_sentence: int = -10
    last_date: DateMention | None = None
    paragraph_date: DateMention | None = None
    paragraph: int = -1


def propose(
    text: str,
    *,
    published: date,
    language: str = "en",
    actors: Iterable[Actor] | None = None,
) -> list[Proposal]:
    """The incidents an article's text seems to report, in the order it reports them.

    ``published`` resolves relative dates ("on Friday", "yesterday"); ``actors`` defaults to
    every actor in the database. ``language`` is the article's (BCP 47); place names are
    found in Latin script and Arabic whatever it is.
    """
    if actors is None:
        actors = Actor.objects.all()
    index = ActorIndex(actors)
    context = _Context()
    proposals: list[Proposal] = []
    for number, sentence in enumerate(sentences(text)):
        proposals.extend(_propose_sentence(sentence, number, published, index, context))
    return proposals


def _propose_sentence(
    sentence: Sentence,
    number: int,
    published: date,
    index: ActorIndex,
    context: _Context,
) -> list[Proposal]:
    tokens = sentence.tokens
    if sentence.paragraph != context.paragraph:
        context.paragraph = sentence.paragraph
        context.paragraph_date = None
    phrases = find_phrases(tokens)
    places = find_places(tokens, sentence.text, sentence.start)
    dates = find_dates(tokens, published)
    eligible = [m for m in places if not m.container and not m.seat]

    from_context = False
    if (
        not eligible
        and _points_back(tokens)
        and context.place is not None
        and number - context.place_sentence <= CONTEXT_SENTENCES
    ):
        eligible = [context.place]
        from_context = True
    if eligible:
        context.place = eligible[0] if not from_context else context.place
        context.place_sentence = number

    proposals: list[Proposal] = []
    if phrases and not eligible and not any(p.has_figure for p in phrases):
        phrases = []  # "many victims" somewhere: nothing to record
    if phrases:
        for group_place, group in _group_by_place(phrases, eligible, from_context):
            proposals.append(
                _build(
                    sentence,
                    group,
                    group_place,
                    places,
                    from_context,
                    dates,
                    published,
                    index,
                    context,
                )
            )
    elif eligible and not from_context and _reports_event(tokens):
        proposals.append(
            _build(sentence, [], eligible, places, False, dates, published, index, context)
        )

    explicit = [d for d in dates if not d.same_as_before]
    if explicit:
        context.last_date = explicit[-1]
        context.paragraph_date = explicit[-1]
    return proposals


def _points_back(tokens: Sequence[Token]) -> bool:
    words = [t.lower for t in tokens]
    for k in range(len(words)):
        for pattern in _ANAPHORA:
            if tuple(words[k : k + len(pattern)]) == pattern:
                if pattern == ("there",) and (k + 1 < len(words) and words[k + 1] in _EXISTENTIAL):
                    continue
                return True
    return False


def _reports_event(tokens: Sequence[Token]) -> bool:
    words = {t.lower for t in tokens}
    if "operation" in words and not ({"military", "security"} & words):
        words.discard("operation")
    return bool(words & _EVENT_WORDS)


def _group_by_place(
    phrases: list[Phrase], eligible: list[PlaceMention], from_context: bool
) -> list[tuple[list[PlaceMention], list[Phrase]]]:
    """Which figures go with which place: one proposal per place when a sentence gives
    several figures at several places, otherwise one proposal with every place named."""
    if from_context or len(eligible) < 2 or len(phrases) < 2:
        return [(eligible, phrases)]
    groups: dict[int, list[Phrase]] = {}
    for phrase in phrases:
        nearest = min(
            range(len(eligible)),
            # on a tie, the place after the figure: "seven in Baniyas"
            key=lambda k: (_distance(phrase, eligible[k]), eligible[k].start < phrase.end, k),
        )
        groups.setdefault(nearest, []).append(phrase)
    if len(groups) == 1:
        return [(eligible, phrases)]
    return [([eligible[k]], groups[k]) for k in sorted(groups)]


def _distance(phrase: Phrase, mention: PlaceMention) -> int:
    if mention.end <= phrase.start:
        return phrase.start - mention.end
    if mention.start >= phrase.end:
        return mention.start - phrase.end
    return 0


def _primary(mentions: list[PlaceMention]) -> PlaceMention:
    cue_rank = {"strong": 0, "weak": 1, "": 2}
    specificity = {
        PlaceKind.NEIGHBOURHOOD: 0,
        PlaceKind.VILLAGE: 1,
        PlaceKind.TOWN: 1,
        PlaceKind.CITY: 2,
        PlaceKind.SUBDISTRICT: 3,
        PlaceKind.DISTRICT: 4,
        PlaceKind.GOVERNORATE: 5,
    }
    return min(
        mentions,
        key=lambda m: (cue_rank[m.cue], specificity.get(m.best.place.kind, 6), m.start),
    )


def _span(tokens: Sequence[Token], start: int, end: int, sentence: Sentence) -> tuple[int, int]:
    return tokens[start].start - sentence.start, tokens[end - 1].end - sentence.start


def _build(
    sentence: Sentence,
    phrases: list[Phrase],
    mentions: list[PlaceMention],
    all_places: list[PlaceMention],
    from_context: bool,
    dates: list[DateMention],
    published: date,
    index: ActorIndex,
    context: _Context,
) -> Proposal:
    tokens = sentence.tokens
    proposal = Proposal(
        quote=sentence.text,
        quote_start=sentence.start,
        quote_end=sentence.end,
        event_type=guess_event_type(tokens),
        title="",
    )
    _apply_figures(proposal, phrases, tokens, sentence)
    _apply_place(proposal, mentions, all_places, from_context, tokens, sentence)
    anchor = phrases[0].start if phrases else (mentions[0].start if mentions else 0)
    _apply_dates(proposal, dates, anchor, published, context, tokens, sentence)
    _apply_actor(proposal, index.find(tokens), phrases, tokens, sentence)
    proposal.attributed_to = _attributed_to(tokens, sentence)
    label = dict(EventType.choices).get(proposal.event_type, "Incident")
    where = proposal.place.name if proposal.place else proposal.place_as_reported
    proposal.title = f"{label} in {where}" if where else label
    proposal.highlights.sort(key=lambda h: h.start)
    return proposal


def _apply_figures(
    proposal: Proposal, phrases: list[Phrase], tokens: Sequence[Token], sentence: Sentence
) -> None:
    if not phrases:
        return
    counted = [p for p in phrases if p.has_figure]
    breakdown: dict[str, int] = {}
    for phrase in phrases:
        start, end = _span(tokens, phrase.start, phrase.end, sentence)
        proposal.highlights.append(Highlight(start, end, "figure"))
        for part in phrase.parts:
            pstart, pend = _span(tokens, part.start, part.end, sentence)
            proposal.highlights.append(Highlight(pstart, pend, "figure"))
            if part.category and part.has_figure and not part.mixed:
                breakdown[part.category] = breakdown.get(part.category, 0) + (part.killed_min or 0)
    texts = [sentence.text[h.start : h.end] for h in proposal.highlights if h.kind == "figure"]
    proposal.figure_text = "; ".join(texts)
    if not counted:
        proposal.figure_kind = FigureKind.VAGUE
        proposal.notes.append(
            f'"{texts[0]}" gives no figure: record the claim without one, or count.'
        )
        return
    proposal.killed_min = sum(p.killed_min or 0 for p in counted)
    if all(p.killed_max is not None for p in counted):
        proposal.killed_max = sum(p.killed_max or 0 for p in counted)
    proposal.approximate = any(p.approximate for p in counted)
    proposal.figure_kind = (
        counted[0].kind
        if len(counted) == 1
        else kind_of(proposal.killed_min, proposal.killed_max, proposal.approximate)
    )
    for phrase in counted:
        if phrase.category and not phrase.mixed:
            breakdown[phrase.category] = breakdown.get(phrase.category, 0) + (
                phrase.killed_min or 0
            )
    proposal.breakdown = breakdown
    if len(counted) > 1:
        proposal.notes.append("The figure adds up the counts the sentence gives side by side.")
    if any(p.vague for p in phrases):
        proposal.notes.append("The sentence also gives a count without a figure.")


def _apply_place(
    proposal: Proposal,
    mentions: list[PlaceMention],
    all_places: list[PlaceMention],
    from_context: bool,
    tokens: Sequence[Token],
    sentence: Sentence,
) -> None:
    if not mentions:
        proposal.location_precision = LocationPrecision.COUNTRY
        proposal.notes.append("No place found: give one, or record this as an episode total.")
        return
    primary = _primary(mentions)
    proposal.place = PlaceChoice.from_match(primary.best)
    proposal.place_from_context = from_context
    seen = {proposal.place.slug}
    alternatives: list[PlaceChoice] = []
    for mention in [*mentions, *all_places]:
        for match in [mention.best] if mention is not primary else primary.matches[1:]:
            if match.place.slug not in seen and match.score >= 80:
                seen.add(match.place.slug)
                alternatives.append(PlaceChoice.from_match(match))
    proposal.place_alternatives = alternatives
    precision = proposal.place.precision
    if len(mentions) > 1:
        precision = _shared_precision([m.best for m in mentions], precision)
        proposal.notes.append(
            "The sentence names several places for one figure: "
            + ", ".join(m.text for m in mentions)
            + "."
        )
    elif primary.best.place.kind == PlaceKind.GOVERNORATE:
        precision = LocationPrecision.GOVERNORATE
    elif primary.best.place.kind == PlaceKind.DISTRICT:
        precision = max(precision, LocationPrecision.DISTRICT, key=_PRECISION_ORDER.index)
    proposal.location_precision = precision
    if from_context:
        proposal.place_as_reported = primary.text
        proposal.notes.append(
            f"The sentence names no place; {primary.text} is taken from the sentences before."
        )
        return
    start = primary.cue_start if primary.cue == "strong" else primary.start
    end = primary.end
    containers = [m for m in all_places if m.container and m.start >= primary.end]
    if containers and containers[0].start - primary.end <= 4:
        end = containers[0].end
        if end < len(tokens) and tokens[end].lower in _AREA_WORDS:
            end += 1
        area = containers[0].best.place.governorate
        if (
            area is not None
            and proposal.place.governorate
            and (area.name != proposal.place.governorate)
        ):
            proposal.notes.append(
                f"The article places {primary.text} in {containers[0].text}; the gazetteer's "
                f"{proposal.place.name} is in {proposal.place.governorate}."
            )
    qstart, qend = _span(tokens, start, end, sentence)
    proposal.place_as_reported = sentence.text[qstart:qend]
    proposal.highlights.append(
        Highlight(*_span(tokens, primary.start, primary.end, sentence), "place")
    )
    if primary.best.match != "exact":
        proposal.notes.append(
            f'"{primary.text}" read as {proposal.place.name} ({primary.best.match} match, '
            f"score {primary.best.score:.0f})."
        )


def _shared_precision(matches: list[Match], precision: str) -> str:
    districts = {getattr(district_of(m.place), "pk", None) for m in matches}
    governorates = {getattr(m.place.governorate, "pk", None) for m in matches}
    if len(districts) == 1 and None not in districts:
        wanted = LocationPrecision.DISTRICT
    elif len(governorates) == 1 and None not in governorates:
        wanted = LocationPrecision.GOVERNORATE
    else:
        wanted = LocationPrecision.GOVERNORATE
    return max(precision, wanted, key=_PRECISION_ORDER.index)


def _apply_dates(
    proposal: Proposal,
    dates: list[DateMention],
    anchor: int,
    published: date,
    context: _Context,
    tokens: Sequence[Token],
    sentence: Sentence,
) -> None:
    chosen: DateMention | None = None
    if dates:
        chosen = min(dates, key=lambda d: (abs(d.start - anchor), d.start))
    resolved = chosen
    if chosen is not None and chosen.same_as_before:
        resolved = context.last_date
        if resolved is None:
            proposal.notes.append('"The same day" points at no date given before.')
    if chosen is not None:
        span = _span(tokens, chosen.start, chosen.end, sentence)
        proposal.date_as_reported = sentence.text[span[0] : span[1]]
        proposal.highlights.append(Highlight(*span, "date"))
    if resolved is None and chosen is None and context.paragraph_date is not None:
        resolved = context.paragraph_date
        proposal.notes.append("The sentence gives no date; it is taken from its paragraph.")
    if resolved is None or resolved.start_date is None or resolved.end_date is None:
        start = published - timedelta(days=DEFAULT_WINDOW_DAYS)
        proposal.date_start, proposal.date_end = start, published
        proposal.date_precision = precision_of(start, published)
        if chosen is None or not chosen.same_as_before:
            proposal.notes.append("No date given: the week up to the publication date is proposed.")
        return
    proposal.date_start, proposal.date_end = resolved.start_date, resolved.end_date
    proposal.date_precision = resolved.precision


def _apply_actor(
    proposal: Proposal,
    mentions: list[ActorMention],
    phrases: list[Phrase],
    tokens: Sequence[Token],
    sentence: Sentence,
) -> None:
    victims: set[int] = set()
    every = [*phrases, *(part for phrase in phrases for part in phrase.parts)]
    for phrase in every:
        end = phrase.end
        # "148 militants affiliated with Assad's loyalist factions": still the victims
        if end < len(tokens) and tokens[end].lower in _VICTIM_TAILS:
            while end < len(tokens) and tokens[end].lower not in (",", ".", "and", "were", "was"):
                end += 1
        victims.update(range(phrase.start, end))
    candidates = [m for m in mentions if not victims & set(range(m.start, m.end))]
    if not candidates:
        return

    def agent(mention: ActorMention) -> int:
        before = [t.lower for t in tokens[max(0, mention.start - 4) : mention.start]]
        if before[-1:] == ["by"] or (
            before[-2:] in (["by", "the"], ["of", "the"]) and ("hands" in before)
        ):
            return 0
        if "hands" in before and "of" in before:
            return 0
        if before[-2:] == ["by", "the"] or before[-3:-1] == ["by", "the"]:
            return 0
        return 1

    chosen = min(candidates, key=lambda m: (agent(m), m.start))
    proposal.perpetrator = chosen.actor
    start = chosen.start
    while start > 0 and (
        tokens[start - 1].text[:1].isupper() or tokens[start - 1].lower in ("-", "pro", "same")
    ):
        if tokens[start - 1].lower in ("the", "by", "as", "and"):
            break
        start -= 1
    if start > 0 and tokens[start - 1].lower == "the":
        start -= 1
    end = chosen.end
    if agent(chosen) == 0:
        # "by the security forces of the new transitional Syrian government"
        k = end
        while k + 1 < len(tokens) and tokens[k].lower == "of":
            j = k + 1
            while (
                j < len(tokens)
                and tokens[j].text[:1].isalnum()
                and tokens[j].lower
                not in (
                    "on",
                    "in",
                    "at",
                    "after",
                    "during",
                    "with",
                    "and",
                    "who",
                    "which",
                )
            ):
                j += 1
            if j == k + 1:
                break
            end = k = j
    span = _span(tokens, start, end, sentence)
    proposal.perpetrator_text = sentence.text[span[0] : span[1]]
    proposal.highlights.append(Highlight(*span, "actor"))


def _attributed_to(tokens: Sequence[Token], sentence: Sentence) -> str:
    """Who made the count, where the sentence says: "according to SOHR", "SNHR said"."""
    n = len(tokens)

    def organisation_at(k: int) -> tuple[int, int] | None:
        if k >= n:
            return None
        if tokens[k].lower == "the":
            k += 1
        if k >= n:
            return None
        if tokens[k].text.isupper() and len(tokens[k].text) >= 3 and tokens[k].text.isalpha():
            return k, k + 1
        j = k
        while j < n and (
            tokens[j].text[:1].isupper()
            or (
                tokens[j].lower in ("for", "of", "-")
                and j + 1 < n
                and tokens[j + 1].text[:1].isupper()
            )
        ):
            j += 1
        if j > k and {t.lower for t in tokens[k:j]} & _ORG_WORDS:
            return k, j
        return None

    for k in range(n - 1):
        if tokens[k].lower == "according" and tokens[k + 1].lower == "to":
            found = organisation_at(k + 2)
            if found:
                return sentence.text[
                    _span(tokens, *found, sentence)[0] : _span(tokens, *found, sentence)[1]
                ]
    for k in range(n):
        found = organisation_at(k)
        if found is None:
            continue
        after = found[1]
        if after < n and tokens[after].text == "(":  # "Network for Human Rights (SNHR)"
            after += 3
        if after < n and tokens[after].lower in _REPORTING_VERBS:
            span = _span(tokens, *found, sentence)
            return sentence.text[span[0] : span[1]]
    return ""
