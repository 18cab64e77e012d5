"""Place names in a sentence, found through the gazetteer.

Candidates are the runs of capitalised words of a sentence (with the article forms al-,
el-, as-, ... that transliterations keep in lower case, and hyphens: "al-Mukhtariya",
"Deir ez-Zor") and, in Arabic, runs of one to three words with the clitics و ب ل ف
stripped. Each is looked up with :func:`mapping.gazetteer.search`, which understands the
spelling variants. A match on the name or its normalised spelling (score 95 and up) is
taken; a looser one (a vowel skeleton or a fuzzy match, 80 to 95) only where the sentence
says it is a place: "the village of Mukhtareyah", "in Mukhtareyah".

Each mention records how the sentence introduces it: after "the town of" or "the outskirts
of" (strong), after "in", "at" or "near" (weak), or as the containing area of another
place ("al-Mukhtariya, Latakia", "in the Latakia countryside", "in Homs province"), which
narrows the search of the others to that governorate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping import gazetteer
from mapping.gazetteer import Match
from mapping.models import PlaceKind
from mapping.names import is_arabic, norm_key

from .dates import WEEKDAYS
from .numbers import MONTHS
from .text import Token

FOUND_SCORE = 95.0
LOOSE_SCORE = 80.0
LOOSE_MIN_LENGTH = 7  # a looser match after a bare "in" needs a name this long (norm key)

_ARTICLES = frozenset(
    {"al", "el", "as", "ash", "ad", "ar", "at", "az", "an", "ez", "es", "ed", "ul", "il"}
)
_LEADING_WORDS = frozenset(
    {
        "the",
        "in",
        "on",
        "at",
        "a",
        "an",
        "but",
        "and",
        "meanwhile",
        "however",
        "also",
        "near",
        "from",
        "since",
        "after",
        "before",
        "when",
        "while",
        "during",
        "residents",
        "western",
        "eastern",
        "northern",
        "southern",
        "central",
        "rural",
        "north",
        "south",
        "east",
        "west",
    }
)
_NOT_PLACES = frozenset(set(WEEKDAYS) | set(MONTHS)) | {
    "god",
    "syria",
    "syrian",
    "syrians",
    "alawite",
    "alawites",
    "sunni",
    "shia",
    "druze",
    "kurdish",
    "arab",
}
_PLACE_NOUNS = frozenset(
    {
        "town",
        "towns",
        "village",
        "villages",
        "city",
        "cities",
        "neighbourhood",
        "neighborhood",
        "neighbourhoods",
        "district",
        "districts",
        "suburb",
        "suburbs",
        "area",
        "areas",
        "countryside",
        "outskirts",
        "region",
        "province",
        "provinces",
        "governorate",
        "governorates",
        "hamlet",
        "camp",
        "port",
        "coast",
        "hills",
        "mountains",
        "vicinity",
        "quarter",
        "entrance",
    }
)
_WEAK_CUES = frozenset(
    {"in", "at", "near", "outside", "around", "inside", "across", "into", "towards", "toward"}
)
_GOVERNORATE_WORDS = frozenset({"province", "governorate", "provinces", "governorates"})
_CONTAINER_WORDS = frozenset({"countryside", "coast", "province", "governorate", "region"})
_SEAT_WORDS = frozenset(
    {"government", "authorities", "rulers", "administration", "regime", "leadership", "officials"}
)
_ARABIC_CLITICS = ("وب", "وفي", "و", "ب", "ل", "ف")
_ARABIC_STOP = frozenset({"في", "من", "على", "إلى", "الى", "عن", "مع", "بعد", "قبل", "حتى"})


@dataclass
class PlaceMention:
    """A place name of a sentence (tokens ``[start, end)``) and what the gazetteer made of it."""

    text: str
    start: int
    end: int
    matches: list[Match]
    cue: str  # "strong", "weak" or ""
    cue_start: int  # where "the outskirts of the city of ..." begins
    governorate_word: bool = False  # "Latakia province", "the governorates of ..."
    container: bool = False  # names the area holding another place of the sentence
    seat: bool = False  # "the government in Damascus": where a power sits, not an event
    alternatives: list[Match] = field(default_factory=list)

    @property
    def best(self) -> Match:
        return self.matches[0]


def _is_capitalised(token: Token) -> bool:
    return token.text[:1].isupper() and token.text[:1].isalpha()


def _latin_runs(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    n = len(tokens)
    i = 0
    while i < n:
        token = tokens[i]
        starts = _is_capitalised(token) or (
            token.lower in _ARTICLES and i + 2 < n and tokens[i + 1].text == "-"
        )
        if not starts:
            i += 1
            continue
        j = i + 1
        while j < n:
            nxt = tokens[j]
            if nxt.text == "-" and j + 1 < n and tokens[j + 1].text[:1].isalpha():
                if tokens[j].start != tokens[j - 1].end:  # a dash between words, not a hyphen
                    break
                j += 2
                continue
            if _is_capitalised(nxt) and nxt.start == tokens[j - 1].end + 1:
                j += 1
                continue
            if (
                nxt.lower in _ARTICLES
                and j + 1 < n
                and (tokens[j + 1].text == "-" or _is_capitalised(tokens[j + 1]))
            ):
                j += 1
                continue
            break
        runs.append((i, j))
        i = j
    return runs


def _trim(tokens: Sequence[Token], start: int, end: int) -> tuple[int, int]:
    while start < end and tokens[start].lower in _LEADING_WORDS:
        start += 1
    return start, end


def _cue(tokens: Sequence[Token], start: int) -> tuple[str, int]:
    """How the sentence introduces the name at ``start``, and where that phrase begins."""
    k = start - 1
    if k >= 0 and tokens[k].lower == "the":
        k -= 1
    if k >= 0 and tokens[k].lower == "of":
        j = k - 1
        # "the (nearby) town of", "the outskirts of the city of"
        while j >= 0 and tokens[j].lower not in _PLACE_NOUNS and j >= k - 3:
            j -= 1
        if j >= 0 and tokens[j].lower in _PLACE_NOUNS:
            begin = j
            while begin > 0 and tokens[begin - 1].lower not in (",", "in", "at", "near", "on"):
                if begin <= j - 3:
                    break
                begin -= 1
            # "the outskirts of the city of": go back over a chain of "of"s
            while begin >= 2 and tokens[begin - 1].lower == "of":
                m = begin - 2
                if tokens[m].lower == "the" and m > 0:
                    m -= 1
                if tokens[m].lower in _PLACE_NOUNS:
                    begin = m - 1 if m > 0 and tokens[m - 1].lower == "the" else m
                else:
                    break
            return "strong", begin
        if j >= 0 and tokens[j].lower == "resident":
            return "weak", k + 1
    if k >= 0 and tokens[k].lower in _WEAK_CUES:
        return "weak", k + 1
    if start > 0 and tokens[start - 1].lower in _WEAK_CUES:
        return "weak", start
    return "", start


def _accept(matches: list[Match], name: str, cue: str) -> bool:
    if not matches:
        return False
    score = matches[0].score
    if score >= FOUND_SCORE:
        return True
    if score < LOOSE_SCORE:
        return False
    return cue == "strong" or (cue == "weak" and len(norm_key(name)) >= LOOSE_MIN_LENGTH)


def _search(name: str, governorate: str | None = None) -> list[Match]:
    try:
        return gazetteer.search(name, governorate=governorate, limit=6).matches
    except ValueError:
        return []


def _latin_mentions(tokens: Sequence[Token], sentence: str, offset: int) -> list[PlaceMention]:
    mentions: list[PlaceMention] = []
    for run_start, run_end in _latin_runs(tokens):
        start, end = _trim(tokens, run_start, run_end)
        if start >= end:
            continue
        words = [t.lower for t in tokens[start:end] if t.text != "-"]
        if all(w in _NOT_PLACES or w in _ARTICLES for w in words):
            continue
        name = sentence[tokens[start].start - offset : tokens[end - 1].end - offset]
        cue, cue_start = _cue(tokens, start)
        matches = _search(name)
        if not _accept(matches, name, cue) and end - start > 1:
            # "Jableh Hospital", "Latakia Governorate": try without the last word
            shorter = sentence[tokens[start].start - offset : tokens[end - 2].end - offset]
            matches = _search(shorter)
            if _accept(matches, shorter, cue) and tokens[end - 1].lower in (
                "governorate",
                "province",
                "countryside",
                "city",
                "district",
                "hospital",
                "camp",
            ):
                name, end = shorter, end - 1
            else:
                continue
        elif not _accept(matches, name, cue):
            continue
        mentions.append(
            PlaceMention(
                text=name, start=start, end=end, matches=matches, cue=cue, cue_start=cue_start
            )
        )
    return mentions


def _arabic_mentions(tokens: Sequence[Token], sentence: str, offset: int) -> list[PlaceMention]:
    mentions: list[PlaceMention] = []
    n = len(tokens)
    i = 0
    while i < n:
        if not is_arabic(tokens[i].text) or tokens[i].text in _ARABIC_STOP:
            i += 1
            continue
        found = None
        for size in (3, 2, 1):
            if i + size > n or not all(is_arabic(t.text) for t in tokens[i : i + size]):
                continue
            phrase = sentence[tokens[i].start - offset : tokens[i + size - 1].end - offset]
            variants = [phrase]
            for clitic in _ARABIC_CLITICS:
                if phrase.startswith(clitic) and len(phrase) > len(clitic) + 2:
                    variants.append(phrase[len(clitic) :])
            for variant in variants:
                matches = [m for m in _search(variant) if m.match != "fuzzy"]
                if matches and matches[0].score >= FOUND_SCORE:
                    cue = "weak" if i > 0 and tokens[i - 1].text in ("في", "قرب", "بلدة") else ""
                    if phrase.startswith(("ب", "وب", "وفي")) or (
                        i > 0 and tokens[i - 1].text in ("قرية", "بلدة", "مدينة", "حي", "ريف")
                    ):
                        cue = "strong"
                    found = PlaceMention(variant, i, i + size, matches, cue, i)
                    break
            if found:
                break
        if found:
            mentions.append(found)
            i = found.end
        else:
            i += 1
    return mentions


def find_places(tokens: Sequence[Token], sentence: str, offset: int) -> list[PlaceMention]:
    """The gazetteer places a sentence names, in order, with their roles worked out."""
    mentions = _latin_mentions(tokens, sentence, offset) + _arabic_mentions(
        tokens, sentence, offset
    )
    mentions.sort(key=lambda m: m.start)
    _mark_governorates(tokens, mentions)
    for mention in mentions:
        before = [t.lower for t in tokens[max(0, mention.start - 2) : mention.start]]
        if len(before) == 2 and before[1] == "in" and before[0] in _SEAT_WORDS:
            mention.seat = True
    _mark_containers(tokens, mentions)
    for mention in mentions:
        _narrow(mention, mentions)
    return mentions


def _mark_governorates(tokens: Sequence[Token], mentions: list[PlaceMention]) -> None:
    n = len(tokens)
    for index, mention in enumerate(mentions):
        after = tokens[mention.end].lower if mention.end < n else ""
        cue_words = {t.lower for t in tokens[max(0, mention.cue_start - 1) : mention.start]}
        listed = (
            index > 0
            and mentions[index - 1].governorate_word
            and (
                all(
                    t.lower in (",", "and", "or")
                    for t in tokens[mentions[index - 1].end : mention.start]
                )
            )
        )
        area_after = after in _CONTAINER_WORDS
        if after in _GOVERNORATE_WORDS or cue_words & _GOVERNORATE_WORDS or listed or area_after:
            governorates = [m for m in mention.matches if m.place.kind == PlaceKind.GOVERNORATE]
            if governorates:
                mention.governorate_word = True
                rest = [m for m in mention.matches if m.place.kind != PlaceKind.GOVERNORATE]
                mention.matches = governorates + rest


def _mark_containers(tokens: Sequence[Token], mentions: list[PlaceMention]) -> None:
    """A name that says where another one lies: "X, Latakia", "X in the Latakia
    countryside", "X on the Latakia coast", "X in western Hama", "X, in Homs province".
    Names in a list ("Latakia, Tartous and Hama") are not containers of each other."""
    n = len(tokens)
    rank = {
        PlaceKind.NEIGHBOURHOOD: 0,
        PlaceKind.VILLAGE: 1,
        PlaceKind.TOWN: 1,
        PlaceKind.CITY: 2,
        PlaceKind.SUBDISTRICT: 3,
        PlaceKind.DISTRICT: 4,
        PlaceKind.GOVERNORATE: 5,
    }
    qualifiers = {"western", "eastern", "northern", "southern", "rural", "central", "coastal"}
    for index, mention in enumerate(mentions):
        if index == 0:
            continue
        previous = mentions[index - 1]
        between = [t.lower for t in tokens[previous.end : mention.start]]
        after = tokens[mention.end].lower if mention.end < n else ""
        if rank.get(mention.best.place.kind, 9) <= rank.get(previous.best.place.kind, 9):
            continue
        if index + 1 < len(mentions):
            following = [t.lower for t in tokens[mention.end : mentions[index + 1].start]]
            if following in ([","], ["and"], [",", "and"], ["or"]):
                continue  # a list of places
        words = set(between) - {"in", "the", ",", "of", "on"}
        introduced = between[:1] in (["in"], [","], ["on"])
        if not introduced or len(between) > 4 or not words <= qualifiers:
            continue
        if between[:1] == ["on"] and after not in _CONTAINER_WORDS:
            continue
        mention.container = True


def _narrow(mention: PlaceMention, mentions: list[PlaceMention]) -> None:
    """Among equally good matches, prefer the one in the governorate the sentence names."""
    if mention.container or mention.governorate_word:
        return
    containers = [m for m in mentions if m.container and m is not mention]
    for container in containers:
        area = container.best.place.governorate
        if area is None:
            continue
        if mention.best.place.governorate == area:
            return
        narrowed = _search(mention.text, governorate=area.slug)
        if narrowed and narrowed[0].score >= mention.best.score:
            mention.matches = narrowed + [m for m in mention.matches if m not in narrowed]
            return
