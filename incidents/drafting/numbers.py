"""Numbers as articles write them: digits ("1,000", "٤٠"), words ("twenty-five", "a
hundred", "two hundred and fifty"), "a dozen", and the vague plurals ("dozens",
"hundreds") that name an order of magnitude but no figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .text import Token

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
VAGUE = frozenset({"dozens", "hundreds", "thousands", "scores", "tens", "several", "many"})
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


@dataclass(frozen=True)
class Number:
    """A number read at tokens ``[start, end)``; ``value`` is None for a vague plural."""

    value: int | None
    start: int
    end: int
    words: bool  # written in words rather than digits
    approximate: bool = False  # "a dozen"


def _digits(token: str) -> int | None:
    plain = token.translate(_ARABIC_DIGITS).replace(",", "").replace("٬", "")
    if plain.isdigit():
        return int(plain)
    return None


def _small(tokens: Sequence[Token], i: int) -> tuple[int, int] | None:
    """A number below a hundred in words at ``i``: (value, index after it)."""
    if i >= len(tokens):
        return None
    word = tokens[i].lower
    if word in UNITS:
        return UNITS[word], i + 1
    if word in TENS:
        value, j = TENS[word], i + 1
        k = j + 1 if j < len(tokens) and tokens[j].text == "-" else j
        if k < len(tokens) and tokens[k].lower in UNITS and 0 < UNITS[tokens[k].lower] < 10:
            return value + UNITS[tokens[k].lower], k + 1
        return value, j
    return None


def read_number(tokens: Sequence[Token], i: int) -> Number | None:
    """The number starting at token ``i``, if one does."""
    if i >= len(tokens):
        return None
    token = tokens[i]
    value = _digits(token.text)
    if value is not None:
        j = i + 1
        if j < len(tokens) and tokens[j].lower in ("thousand", "million"):
            return Number(value * SCALES[tokens[j].lower], i, j + 1, words=False)
        return Number(value, i, j, words=False)
    word = token.lower
    if word in VAGUE:
        return Number(None, i, i + 1, words=True)
    if word == "a" and i + 1 < len(tokens):
        following = tokens[i + 1].lower
        if following == "dozen":
            return Number(12, i, i + 2, words=True, approximate=True)
        if following in SCALES:
            return _scaled(tokens, 1, i, i + 1)
        return None
    if word == "dozen":
        return Number(12, i, i + 1, words=True, approximate=True)
    small = _small(tokens, i)
    if small is None:
        return None
    value, j = small
    if j < len(tokens) and tokens[j].lower == "dozen":
        return Number(value * 12, i, j + 1, words=True, approximate=True)
    if j < len(tokens) and tokens[j].lower in SCALES:
        return _scaled(tokens, value, i, j)
    return Number(value, i, j, words=True)


def _scaled(tokens: Sequence[Token], value: int, start: int, j: int) -> Number:
    """``value`` followed by hundred/thousand at ``j``, with what follows ("and fifty")."""
    total = 0
    while j < len(tokens) and tokens[j].lower in SCALES:
        scale = SCALES[tokens[j].lower]
        if scale == 100:
            value *= 100
        else:
            total += value * scale
            value = 0
        j += 1
        k = j + 1 if j < len(tokens) and tokens[j].lower == "and" else j
        rest = _small(tokens, k)
        if rest is None:
            break
        value, j = value + rest[0], rest[1]
    return Number(total + value, start, j, words=True)


MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# Words after a number that make it a date, an age, a distance or a duration.
MONTHS_AND_UNITS = frozenset(
    set(MONTHS)
    | {
        "year",
        "years",
        "month",
        "months",
        "day",
        "days",
        "week",
        "weeks",
        "hour",
        "hours",
        "minute",
        "minutes",
        "am",
        "pm",
        "a.m",
        "p.m",
        "km",
        "kilometres",
        "kilometers",
        "kilometre",
        "kilometer",
        "mile",
        "miles",
        "metres",
        "meters",
        "metre",
        "meter",
        "percent",
        "per",
        "%",
        "decade",
        "decades",
        "century",
        "centuries",
        "times",
        "blocks",
        "kg",
        "st",
        "nd",
        "rd",
        "th",
    }
)
