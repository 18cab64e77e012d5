"""Casualty phrases: how many were killed, how sure the source is, and who they were.

A phrase is a number (digits or words, see ``numbers``) with what qualifies it, read as a
figure kind whose rule (``incidents.figurekinds.claim_figure``, the same one the admin's
claim form applies) gives the minimum and maximum:

- "at least 40", "no fewer than 40"      → minimum 40, no maximum
- "more than 100", "over 100"            → minimum 101, no maximum (the count is above 100)
- "around 10", "about", "nearly", ...    → 10 to 10, approximate
- "between 30 and 50", "30 to 50"        → 30 to 50
- "up to 20", "as many as 20"            → 0 to 20
- "a dozen"                              → 12, approximate
- "dozens", "hundreds"                   → no figure, but still a mention
- a bare "15"                            → 15 to 15

and the people it counts (civilians, children, women, members of the security forces,
fighters or gunmen, medical personnel; or just people, men, victims, bodies), mapped to
the claim's breakdown fields. A number only counts as a casualty figure when the sentence
says these people died: a death word governs it ("killed 15", "the bodies of 21", "the
death toll has risen to more than 1,000", "15 civilians were executed", "31 victims"), and
no other verb does ("20 were wounded", "500 troops were deployed" are not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..figurekinds import FigureKind, claim_figure
from .numbers import MONTHS_AND_UNITS, Number, read_number
from .text import Token

# Qualifiers read backwards from the number, as token sequences.
_AT_LEAST = ("at least", "no fewer than", "no less than", "not less than", "a minimum of")
_MORE_THAN = (
    "more than",
    "over",
    "upwards of",
    "in excess of",
    "surpassed",
    "surpassing",
    "exceeded",
    "exceeding",
    "exceeds",
    "surpasses",
    "topped",
    "passed",
)
_ABOUT = (
    "about",
    "around",
    "approximately",
    "roughly",
    "nearly",
    "almost",
    "close to",
    "some",
    "an estimated",
    "estimated",
    "perhaps",
    "nearly all",
)
_UP_TO = ("up to", "as many as")
_QUALIFIERS: list[tuple[tuple[str, ...], str]] = sorted(
    [(tuple(q.split()), "min") for q in _AT_LEAST]
    + [(tuple(q.split()), "more") for q in _MORE_THAN]
    + [(tuple(q.split()), "about") for q in _ABOUT]
    + [(tuple(q.split()), "upto") for q in _UP_TO],
    key=lambda item: -len(item[0]),
)

# What a counted person is, by the noun that names them.
_CATEGORY_NOUNS: dict[str, str | None] = {
    **dict.fromkeys(("civilian", "civilians", "noncombatants", "non-combatants"), "civilians"),
    **dict.fromkeys(
        ("child", "children", "minors", "kids", "boys", "girls", "infants", "babies"), "children"
    ),
    **dict.fromkeys(("woman", "women"), "women"),
    **dict.fromkeys(
        (
            "soldier",
            "soldiers",
            "troops",
            "policemen",
            "policeman",
            "servicemen",
            "conscripts",
            "guards",
            "officers",
        ),
        "security_forces",
    ),
    **dict.fromkeys(
        (
            "fighter",
            "fighters",
            "militants",
            "militant",
            "gunmen",
            "gunman",
            "combatants",
            "insurgents",
            "rebels",
            "militiamen",
            "jihadists",
            "loyalists",
        ),
        "combatants",
    ),
    **dict.fromkeys(("medics", "doctors", "nurses", "paramedics"), "medical_personnel"),
    **dict.fromkeys(
        (
            "people",
            "persons",
            "person",
            "individuals",
            "men",
            "man",
            "residents",
            "villagers",
            "neighbours",
            "neighbors",
            "relatives",
            "detainees",
            "prisoners",
            "worshippers",
            "farmers",
            "workers",
            "students",
            "youths",
            "males",
            "shepherds",
            "alawites",
            "sunnis",
            "druze",
            "christians",
            "families",
            "others",
            "journalists",
        ),
        None,
    ),
}
# Nouns that are a death in themselves: "31 victims", "200 dead", "the bodies of 21".
_DEATH_NOUNS = frozenset(
    {
        "victims",
        "victim",
        "dead",
        "deaths",
        "death",
        "bodies",
        "body",
        "corpses",
        "fatalities",
        "lives",
        "killed",
        "slain",
        "casualties",
    }
)
# Nouns that need a word of what kind: "security forces", "medical personnel", "members of".
_NEEDS_CONTEXT = frozenset({"forces", "force", "personnel", "members", "member", "staff"})
_SECURITY_WORDS = frozenset(
    {"security", "police", "military", "army", "government", "defence", "defense", "interior"}
)
_COMBATANT_WORDS = frozenset(
    {"armed", "groups", "factions", "militia", "militias", "insurgent", "rebel", "loyalist"}
)
_MEDICAL_WORDS = frozenset({"medical", "health", "hospital", "ambulance"})

# Words of dying. A phrase is a casualty figure when the first of these or of _OTHER_FATES
# after it is one of these, or one of _DEATH_BEFORE governs it.
_DEATH_WORDS = frozenset(
    {
        "killed",
        "kill",
        "kills",
        "killing",
        "killings",
        "executed",
        "execute",
        "executing",
        "execution",
        "executions",
        "murdered",
        "murder",
        "slain",
        "slaughtered",
        "massacred",
        "massacre",
        "died",
        "die",
        "dead",
        "death",
        "deaths",
        "perished",
        "lynched",
        "beheaded",
        "assassinated",
        "buried",
        "bodies",
        "corpses",
        "toll",
        "fatalities",
        "casualties",
        "shot",
        "lives",
    }
)
_OTHER_FATES = frozenset(
    {
        "wounded",
        "injured",
        "injuring",
        "injuries",
        "hurt",
        "arrested",
        "detained",
        "kidnapped",
        "abducted",
        "missing",
        "displaced",
        "fled",
        "deployed",
        "mobilised",
        "mobilized",
        "sent",
        "dispatched",
        "captured",
        "released",
        "rescued",
        "evacuated",
        "told",
        "said",
        "say",
        "says",
        "added",
        "stated",
        "noted",
        "recounted",
        "described",
        "returned",
        "joined",
        "gathered",
        "protested",
        "survived",
    }
)
_SPEECH = frozenset(
    {"told", "said", "say", "says", "added", "stated", "noted", "recounted", "described"}
)
# "killed 15", "the killing of at least 240", "the bodies of 21", "executions of 125".
_DEATH_BEFORE = frozenset(
    {
        "killed",
        "killing",
        "killings",
        "executed",
        "executing",
        "execution",
        "executions",
        "murdered",
        "murder",
        "massacred",
        "massacre",
        "deaths",
        "death",
        "bodies",
        "remains",
        "corpses",
        "lives",
        "slaughtered",
        "burial",
        "burials",
        "buried",
    }
)
_TOLL_NOUNS = frozenset({"toll", "tally"})
_COUNT_NOUNS = frozenset({"number", "figure", "count", "estimate", "estimates"})
_TOLL_VERBS = frozenset(
    {"risen", "rose", "rises", "reached", "reaches", "climbed", "climbs", "hit", "stands", "stood"}
)
_INCLUSION = (
    ("including",),
    ("among", "them"),
    ("among", "whom"),
    ("of", "whom"),
    ("of", "them"),
    ("among", "the", "dead"),
    ("among", "those"),
)
_ADDITION = (
    ("along", "with"),
    ("alongside",),
    ("in", "addition", "to"),
    ("as", "well", "as"),
    ("besides",),
    ("plus",),
)
# Words that end a noun phrase: after them the counted noun can no longer come.
_PHRASE_BREAKERS = frozenset(
    {
        "in",
        "on",
        "at",
        "by",
        "from",
        "since",
        "after",
        "before",
        "during",
        "were",
        "was",
        "are",
        "is",
        "have",
        "has",
        "had",
        "been",
        "be",
        "who",
        "which",
        "that",
        "and",
        "or",
        "with",
        "to",
        "for",
        "as",
        "when",
        "while",
        "the",
        "a",
        "an",
    }
)
_CLAUSE_END = frozenset({";", ":", "—", "(", ")"})


@dataclass
class Phrase:
    """One casualty phrase found in a sentence (token indexes are the sentence's)."""

    start: int
    end: int
    killed_min: int | None
    killed_max: int | None
    approximate: bool
    category: str | None  # a breakdown field, or None for people in general
    mixed: bool = False  # "civilians and disarmed fighters": no single breakdown field
    part: bool = False  # a part of the phrase before it ("including 39 children")
    vague: str = ""  # "dozens": no figure
    parts: list[Phrase] = field(default_factory=list)
    kind: str = ""  # how the figure is stated (incidents.figurekinds.FigureKind)

    @property
    def has_figure(self) -> bool:
        return self.killed_min is not None


def _match_back(tokens: Sequence[Token], end: int, words: tuple[str, ...]) -> bool:
    start = end - len(words)
    if start < 0:
        return False
    return all(tokens[start + k].lower == w for k, w in enumerate(words))


def _qualifier(tokens: Sequence[Token], number_start: int) -> tuple[str, int]:
    """The qualifier right before the number ("at least", "over", ...) and where it starts."""
    k = number_start
    for words, kind in _QUALIFIERS:
        if _match_back(tokens, k, words):
            return kind, k - len(words)
    return "", k


def _is_date_or_measure(tokens: Sequence[Token], number: Number) -> bool:
    """A day of a month, a year, an age, a distance, a duration: not a count of people."""
    after = tokens[number.end].lower if number.end < len(tokens) else ""
    after2 = tokens[number.end + 1].lower if number.end + 1 < len(tokens) else ""
    before = tokens[number.start - 1].lower if number.start > 0 else ""
    if after in MONTHS_AND_UNITS or (after == "-" and after2 in MONTHS_AND_UNITS):
        return True
    if before in MONTHS_AND_UNITS and not number.words:
        return True  # "March 7", "March 6-7"
    if after == "-" and after2.isdigit():
        after3 = tokens[number.end + 2].lower if number.end + 2 < len(tokens) else ""
        if after3 in MONTHS_AND_UNITS:
            return True
    if (
        before == "-"
        and number.start >= 2
        and tokens[number.start - 2].text.isdigit()
        and after in MONTHS_AND_UNITS
    ):
        return True  # the second day of "6-7 March"
    if not number.words and number.value is not None and 1900 <= number.value <= 2100:
        return after not in _CATEGORY_NOUNS and after not in _DEATH_NOUNS
    return before in ("aged", "age")


def _category_of(tokens: Sequence[Token], head: int, modifiers: Sequence[str]) -> str | None:
    """The breakdown field of a noun that needs its context ("security forces")."""
    word = tokens[head].lower
    context = set(modifiers)
    if word in ("members", "member", "staff"):
        for k in range(head + 1, min(head + 15, len(tokens))):
            lowered = tokens[k].lower
            if lowered in _CLAUSE_END or lowered == ".":
                break
            context.add(lowered)
            if lowered in ("forces", "force", "army", "police", "personnel"):
                break
    if context & _MEDICAL_WORDS:
        return "medical_personnel"
    if context & _SECURITY_WORDS or word in ("forces", "force"):
        return "security_forces"
    if context & _COMBATANT_WORDS:
        return "combatants"
    return None


def _noun(tokens: Sequence[Token], k: int) -> tuple[int, str | None, bool, bool] | None:
    """The counted noun after a number ending at ``k``.

    Returns (index after the noun phrase, category, whether it is a death noun, whether
    the phrase names two kinds of people), or None when no noun follows.
    """
    n = len(tokens)
    # "Ten more men", "five of their neighbours", "12 other people"
    while k < n and tokens[k].lower in ("more", "other", "additional", "further"):
        k += 1
    if k < n and tokens[k].lower == "of" and k + 1 < n:
        k += 1
        if k < n and tokens[k].lower in ("the", "their", "them", "those", "its", "his", "her"):
            k += 1
    modifiers: list[str] = []
    for head in range(k, min(k + 6, n)):
        word = tokens[head].lower
        if word in _CATEGORY_NOUNS or word in _DEATH_NOUNS or word in _NEEDS_CONTEXT:
            if word in _NEEDS_CONTEXT:
                category = _category_of(tokens, head, modifiers)
            else:
                category = _CATEGORY_NOUNS.get(word)
            end = head + 1
            if word in ("members", "member", "staff"):
                # the phrase runs to the end of "members of the ... forces"
                for j in range(head + 1, min(head + 15, n)):
                    if tokens[j].lower in ("forces", "force", "army", "police", "personnel"):
                        end = j + 1
                        break
            mixed = False
            if end + 1 < n and tokens[end].lower in ("and", "or"):
                # "civilians and disarmed fighters": two kinds of people, one count
                for j in range(end + 1, min(end + 4, n)):
                    other = tokens[j].lower
                    if read_number(tokens, j) is not None:
                        break
                    if other in _CATEGORY_NOUNS and _CATEGORY_NOUNS[other] != category:
                        mixed = True
                        end = j + 1
                        break
            return end, category, word in _DEATH_NOUNS, mixed
        if (word in _PHRASE_BREAKERS or not tokens[head].text[0].isalpha()) and tokens[
            head
        ].text not in ("-", "’", "'"):
            return None
        modifiers.append(word)
    return None


def _first_fate_after(tokens: Sequence[Token], k: int, limit: int = 12) -> str:
    """'death', 'other' or '' for the first word of dying or of another fate after ``k``."""
    n = len(tokens)
    for j in range(k, min(k + limit, n)):
        word = tokens[j].lower
        if word in _CLAUSE_END or word == ".":
            return ""
        if word in ("said", "reported", "believed", "thought") and (
            j + 1 < n and tokens[j + 1].lower == "to"
        ):
            continue  # "were said to have been killed"
        if word == "shot" and j + 1 < n and tokens[j + 1].lower != "dead":
            continue
        if word in _DEATH_WORDS:
            return "death"
        if word in _OTHER_FATES:
            return "other"
        if read_number(tokens, j) is not None and j > k:
            return ""  # the next count has its own verb
    return ""


def _death_before(tokens: Sequence[Token], start: int) -> bool:
    """A word of dying governs the number: "killed at least 15", "the bodies of 21"."""
    k = start
    if k > 0 and tokens[k - 1].lower == "of":
        k -= 1
        if k > 0 and tokens[k - 1].lower in ("the", "all"):
            k -= 1
    if k > 0 and tokens[k - 1].lower in ("a", "an"):
        k -= 1
    return k > 0 and tokens[k - 1].lower in _DEATH_BEFORE


def _toll_governs(tokens: Sequence[Token], start: int) -> bool:
    """A death toll or a count is given: "the toll has risen to more than 1,000",
    "put the number at at least 134"."""
    window = [t.lower for t in tokens[:start]]
    if not window:
        return False
    has_toll = any(w in _TOLL_NOUNS for w in window)
    last = window[-1]
    if has_toll and (
        last in ("to", "at", "of", "surpassed", "exceeded", "passed", "topped")
        or last in _TOLL_VERBS
    ):
        return True
    return (len(window) >= 2 and last == "at" and any(w in _COUNT_NOUNS for w in window[-4:])) or (
        has_toll and window[-2:] in (["risen", "to"], ["rose", "to"], ["climbed", "to"])
    )


def _has_death_word(tokens: Sequence[Token]) -> bool:
    words = _DEATH_WORDS | _DEATH_NOUNS | {"grave", "graves"}
    return any(t.lower in words for t in tokens if t.lower not in ("shot", "lives"))


def find_phrases(tokens: Sequence[Token]) -> list[Phrase]:
    """Every casualty phrase of a sentence, grouped: parts under the count they break down."""
    phrases: list[Phrase] = []
    sentence_dies = _has_death_word(tokens)
    i = 0
    n = len(tokens)
    while i < n:
        number = read_number(tokens, i)
        if number is None or _is_date_or_measure(tokens, number):
            i += 1
            continue
        kind, start = _qualifier(tokens, number.start)
        low = high = number.value
        end = number.end
        # ranges: "between 30 and 50", "30 to 50", "30-50"
        if number.end + 1 < n and tokens[number.end].lower in ("to", "and", "-", "–"):
            second = read_number(tokens, number.end + 1)
            ranged = tokens[number.end].lower != "and" or (
                start > 0 and tokens[start - 1].lower == "between"
            )
            if (
                second is not None
                and second.value is not None
                and low is not None
                and second.value > low
                and ranged
                and not _is_date_or_measure(tokens, second)
            ):
                high, end = second.value, second.end
                if start > 0 and tokens[start - 1].lower in ("between", "from"):
                    start -= 1
                kind = kind if kind == "about" else "range"
        or_more = end + 1 < n and tokens[end].lower == "or" and tokens[end + 1].lower == "more"
        or_so = end + 1 < n and tokens[end].lower == "or" and tokens[end + 1].lower == "so"
        if or_more or or_so:
            end += 2
        noun = _noun(tokens, end)
        category, death_noun, mixed = None, False, False
        phrase_end = end
        if noun is not None:
            phrase_end, category, death_noun, mixed = noun
        accepted = False
        governed_by_other = (
            start > 0
            and tokens[start - 1].lower in _OTHER_FATES
            and tokens[start - 1].lower not in _SPEECH
        )
        if governed_by_other:
            pass  # "deployed 500 soldiers", "wounded 20 people"
        elif (
            _death_before(tokens, start)
            or _toll_governs(tokens, start)
            or _toll_governs(tokens, number.start)
        ):
            accepted = True
        elif noun is not None:
            fate = _first_fate_after(tokens, phrase_end)
            if fate == "death" or death_noun:
                accepted = fate != "other"
            elif fate == "" and sentence_dies and (category is not None or mixed):
                accepted = True  # "…, including 39 children, 49 women and 27 medical …"
        elif phrases and number.value is not None:
            # "five were killed in Jableh and seven in Baniyas": the noun is understood
            after = tokens[end].lower if end < n else ""
            if after in ("in", "at", "near", "more", "others") or after in ("were", "was"):
                accepted = _first_fate_after(tokens, end, 6) != "other"
                category = phrases[-1].category
        if not accepted:
            i = number.end
            continue
        phrase = _make_phrase(start, phrase_end, low, high, kind, number, or_more, or_so)
        phrase.category = category
        phrase.mixed = mixed
        phrases.append(phrase)
        i = phrase_end
    return _group(tokens, phrases)


def _make_phrase(
    start: int,
    end: int,
    low: int | None,
    high: int | None,
    kind: str,
    number: Number,
    or_more: bool,
    or_so: bool,
) -> Phrase:
    if low is None:
        figure_kind, first, second = FigureKind.VAGUE, None, None
    elif or_more or kind == "min":
        figure_kind, first, second = FigureKind.AT_LEAST, low, None
    elif kind == "more":
        figure_kind, first, second = FigureKind.MORE_THAN, low, None
    elif kind == "upto":
        figure_kind, first, second = FigureKind.UP_TO, high, None
    elif kind == "about" or number.approximate or or_so:
        # "about 10", "about 30 to 50", "a dozen", "40 or so"
        figure_kind, first, second = FigureKind.AROUND, low, high if high != low else None
    elif high is not None and high != low:
        figure_kind, first, second = FigureKind.RANGE, low, high
    else:
        figure_kind, first, second = FigureKind.EXACT, low, None
    values = claim_figure(figure_kind, first, second)
    phrase = Phrase(
        start,
        end,
        values.killed_min,
        values.killed_max,
        values.approximate,
        None,
        vague="vague" if figure_kind == FigureKind.VAGUE else "",
    )
    phrase.kind = figure_kind
    return phrase


def _between(tokens: Sequence[Token], start: int, end: int, patterns: Sequence[tuple]) -> bool:
    words = [t.lower for t in tokens[start:end]]
    for pattern in patterns:
        size = len(pattern)
        for k in range(len(words) - size + 1):
            if tuple(words[k : k + size]) == pattern:
                return True
    return False


def _group(tokens: Sequence[Token], phrases: list[Phrase]) -> list[Phrase]:
    """Put "including …" parts under the count before them; keep added counts apart."""
    top: list[Phrase] = []
    in_parts = False
    for phrase in phrases:
        if top:
            gap_start = (top[-1].parts[-1] if top[-1].parts else top[-1]).end
            if _between(tokens, gap_start, phrase.start, _INCLUSION):
                in_parts = True
            elif _between(tokens, gap_start, phrase.start, _ADDITION) or any(
                t.text in _CLAUSE_END for t in tokens[gap_start : phrase.start]
            ):
                in_parts = False
        if in_parts and top:
            phrase.part = True
            top[-1].parts.append(phrase)
        else:
            top.append(phrase)
    return top
